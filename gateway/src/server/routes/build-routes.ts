import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, invalidArgument } from '@berth/kit';
import type { Router } from '../router.js';
import { queryBool } from '../http-io.js';
import { errorReply } from '../error-status.js';
import { parseDockerfile } from '../../builder/dockerfile/parser.js';
import { contextParts, extractContext, resolveInContext } from '../../builder/build-context.js';
import { BuildCache } from '../../builder/build-cache.js';
import { BuildExecutor } from '../../builder/executor.js';
import { GrpcBuildBackend } from '../../builder/grpc-build-backend.js';
import { ImagePaths } from '../../builder/image-paths.js';
import type { RouteDeps } from './route-deps.js';

const MAX_DOCKERFILE = 4 * 1024 * 1024;

/**
 * `POST /build`: Docker's classic builder API (the docker CLI with DOCKER_BUILDKIT=0). The body
 * is the context tar; the answer Docker's JSON message stream. Errors before the first step (a
 * bad context, a missing or unparsable Dockerfile) are HTTP errors; later ones go in-band.
 */
export function buildRoutes(router: Router, { backends, engine }: RouteDeps): void {
  const builderRoot = path.join(engine.rootDir, 'gateway', 'builder');
  const cache = new BuildCache(builderRoot);
  const imagePaths = new ImagePaths();
  // Contexts left by a gateway that died mid-build; nothing else uses them. A failure here only
  // leaves old files behind, and every build makes a new directory of its own.
  const swept = rm(path.join(builderRoot, 'contexts'), { recursive: true, force: true }).catch(() => undefined);

  router.post('/build', 'image.Build', async ({ req, res, query, signal, logger }) => {
    if (query.get('version') === '2') throw invalidArgument("berth's builder is Docker's classic builder: build with DOCKER_BUILDKIT=0");
    if (query.get('remote')) throw invalidArgument('building from a remote context (remote=…) is not supported: send the context as the request body');
    const buildArgs = jsonObject<string | null>(query.get('buildargs'), 'buildargs');
    const labels = jsonObject<string>(query.get('labels'), 'labels');
    const quiet = queryBool(query, 'q');
    await swept;
    const contextDir = path.join(builderRoot, 'contexts', randomBytes(12).toString('hex'));
    await mkdir(contextDir, { recursive: true, mode: 0o700 });
    try {
      await extractContext(body(req), contextDir, signal);
      const dockerfileName = query.get('dockerfile') || 'Dockerfile';
      const dockerfile = parseDockerfile(await readDockerfile(contextDir, dockerfileName));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const write = (m: object) => res.write(JSON.stringify(m) + '\n');
      const executor = new BuildExecutor(new GrpcBuildBackend(backends, logger), cache, imagePaths);
      try {
        const id = await executor.build(
          {
            dockerfile,
            contextDir,
            tags: query.getAll('t').filter((t) => t !== ''),
            ...(query.get('target') && { target: query.get('target')! }),
            noCache: queryBool(query, 'nocache'),
            buildArgs,
            labels,
            networkMode: query.get('networkmode') || 'bridge',
            platform: query.get('platform') ?? '',
            signal,
          },
          { stream: (text) => void (quiet || write({ stream: text })), aux: (ID) => void write({ aux: { ID } }) },
        );
        if (quiet) write({ stream: `${id}\n` });
      } catch (err) {
        if (!signal.aborted) {
          const message = errorReply(err).message;
          const code = /returned a non-zero code: (\d+)$/.exec(message)?.[1];
          write({ errorDetail: { ...(code && { code: Number(code) }), message }, error: message });
        }
      }
      res.end();
    } finally {
      await rm(contextDir, { recursive: true, force: true });
    }
  });
}

async function readDockerfile(contextDir: string, name: string): Promise<string> {
  const file = await resolveInContext(contextDir, contextParts(name));
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > MAX_DOCKERFILE) throw invalidArgument(`the Dockerfile is larger than ${MAX_DOCKERFILE} bytes`);
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') {
      throw new BerthError('invalid_argument', `Cannot locate specified Dockerfile: ${name}`, { cause: err });
    }
    throw err;
  }
}

function jsonObject<V>(raw: string | null, name: string): Record<string, V> {
  if (raw === null || raw === '') return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, V>;
  } catch {
    // reported below
  }
  throw invalidArgument(`invalid ${name} parameter: expected a JSON object`);
}

async function* body(req: IncomingMessage): AsyncGenerator<Uint8Array> {
  for await (const chunk of req) yield chunk as Buffer;
}
