import { BerthError } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { Router } from '../router.js';
import { queryInt, readJson, sendEmpty, sendJson } from '../http-io.js';
import { execCreateFromDocker, execInspect, execStartFromDocker } from '../docker-shapes/exec-shapes.js';
import { logContentType } from '../docker-shapes/log-stream.js';
import { clientInput, DEFAULT_DETACH_KEYS, encodeOutput, parseDetachKeys, readUpgradeBody, writeUpgrade } from './hijack.js';
import type { RouteDeps } from './route-deps.js';
import { errorReply } from '../error-status.js';

/**
 * Exec (`docker exec`): create, start (hijacked: stdin in, output out, until the process exits),
 * inspect, resize — forwarded to the runtime's exec RPCs.
 */
export function execRoutes(router: Router, { backends }: RouteDeps): void {
  const { containers } = backends;

  router.post('/containers/:id/exec', 'exec.Create', async ({ req, res, params }) => {
    const created = await containers.createExec(execCreateFromDocker(params['id']!, await readJson(req)));
    sendJson(res, 201, { Id: created.id });
  });

  const inspect = async (id: string, signal: AbortSignal) => {
    const { exec } = await containers.getExec({ id }, { signal });
    if (!exec) throw new BerthError('not_found', `No such exec instance: ${id}`);
    return exec;
  };

  router.upgrade('/exec/:id/start', 'exec.Start', async (ctx) => {
    const { socket, params, signal } = ctx;
    const upgraded = await readUpgradeBody(ctx.req, socket, ctx.head);
    const head = upgraded.rest;
    const body = execStartFromDocker(upgraded.body.length ? parseJson(upgraded.body) : undefined);
    const exec = await inspect(params['id']!, signal);
    const call = new AbortController();
    signal.addEventListener('abort', () => call.abort(), { once: true });
    const keys = parseDetachKeys(exec.detachKeys || DEFAULT_DETACH_KEYS);
    const input = exec.attachStdin && !body.detach ? clientInput(socket, head, keys, () => call.abort()) : undefined;
    const responses = containers.startExec(startRequests(params['id']!, body, input), { signal: call.signal });
    writeUpgrade(ctx, logContentType(exec.tty));
    if (!input) socket.resume();
    try {
      for await (const r of responses) {
        if (body.detach) break;
        if (r.output && !socket.write(encodeOutput(r.output, exec.tty))) await new Promise((res) => socket.once('drain', res));
      }
    } catch (err) {
      // As Docker: a start the runtime refused is told in the stream (the client reads the exit
      // code, 126 or 127, from exec inspect).
      if (!call.signal.aborted) socket.write(encodeOutput({ stream: 1, data: Buffer.from(`${errorReply(err).message}\r\n`) }, exec.tty));
    }
    socket.end();
  });

  router.post('/exec/:id/start', 'exec.Start', async ({ req, res, params, signal }) => {
    const body = execStartFromDocker(await readJson(req));
    const exec = await inspect(params['id']!, signal);
    const responses = containers.startExec(startRequests(params['id']!, body, undefined), { signal })[Symbol.asyncIterator]();
    const first = await responses.next();
    if (body.detach) return sendEmpty(res, 200);
    res.writeHead(200, { 'Content-Type': logContentType(exec.tty) });
    res.flushHeaders();
    for (let r = first; !r.done; r = await responses.next()) {
      if (r.value.output && !res.write(encodeOutput(r.value.output, exec.tty))) await new Promise((done) => res.once('drain', done));
    }
    res.end();
  });

  router.get('/exec/:id/json', 'exec.Inspect', async ({ res, params, signal }) => {
    sendJson(res, 200, execInspect(await inspect(params['id']!, signal)));
  });

  router.post('/exec/:id/resize', 'exec.Resize', async ({ res, params, query }) => {
    await containers.resizeExec({ id: params['id']!, height: queryInt(query, 'h') ?? 0, width: queryInt(query, 'w') ?? 0 });
    sendEmpty(res, 201);
  });
}

async function* startRequests(
  id: string, body: ReturnType<typeof execStartFromDocker>, input: AsyncIterable<runtime.StdioInput> | undefined,
): AsyncGenerator<runtime.StartExecRequest> {
  yield { options: { id, detach: body.detach, ...(body.consoleSize ? { consoleSize: body.consoleSize } : {}) } };
  if (input) for await (const frame of input) yield { input: frame };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BerthError('invalid_argument', `invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}
