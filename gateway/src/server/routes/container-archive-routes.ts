import type { IncomingMessage, ServerResponse } from 'node:http';
import { BerthError } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { Router } from '../router.js';
import { queryBool, sendEmpty, sendJson } from '../http-io.js';
import type { RouteDeps } from './route-deps.js';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

/**
 * `docker diff`, `cp` and `export`: the container's filesystem through the runtime (which
 * resolves every path inside the rootfs). Tars are relayed as they come; an error after the first
 * byte cuts the connection so that a truncated tar cannot look complete.
 */
export function containerArchiveRoutes(router: Router, { backends }: RouteDeps): void {
  const { containers } = backends;

  router.get('/containers/:id/changes', 'container.Changes', async ({ res, params, signal }) => {
    const { changes } = await containers.containerChanges({ id: params['id']! }, { signal });
    sendJson(res, 200, changes.map((c) => ({ Path: c.path, Kind: c.kind })));
  });

  router.head('/containers/:id/archive', 'container.StatPath', async ({ res, params, query, signal }) => {
    const { stat } = await containers.statContainerPath({ id: params['id']!, path: requirePath(query) }, { signal });
    if (!stat) throw new BerthError('internal', 'the runtime sent no path stat');
    res.writeHead(200, { [STAT_HEADER]: statHeader(stat), 'Content-Type': 'application/json' });
    res.end();
  });

  router.get('/containers/:id/archive', 'container.ArchivePath', async ({ res, params, query, signal }) => {
    const parts = containers.archiveContainerPath({ id: params['id']!, path: requirePath(query) }, { signal })[Symbol.asyncIterator]();
    const first = await parts.next();
    if (first.done || !first.value.stat) throw new BerthError('internal', 'the runtime sent no path stat');
    res.writeHead(200, { [STAT_HEADER]: statHeader(first.value.stat), 'Content-Type': 'application/x-tar' });
    await relay(res, parts);
  });

  router.put('/containers/:id/archive', 'container.Extract', async ({ req, res, params, query, signal }) => {
    const options = {
      id: params['id']!, path: requirePath(query),
      noOverwriteDirNonDir: queryBool(query, 'noOverwriteDirNonDir'), copyUidGid: queryBool(query, 'copyUIDGID'),
    };
    await containers.extractToContainer(extractRequests(options, req), { signal });
    sendEmpty(res, 200);
  });

  router.get('/containers/:id/export', 'container.Export', async ({ res, params, signal }) => {
    const chunks = containers.exportContainer({ id: params['id']! }, { signal })[Symbol.asyncIterator]();
    // The first chunk (or the error of an unknown container) before the status line.
    const first = await chunks.next();
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    if (!first.done && !res.write(first.value.data)) await new Promise((resolve) => res.once('drain', resolve));
    if (first.done) res.end();
    else await relay(res, chunks);
  });
}

function requirePath(query: URLSearchParams): string {
  const p = query.get('path');
  if (!p) throw new BerthError('invalid_argument', 'path is required');
  return p;
}

async function relay(res: ServerResponse, chunks: AsyncIterator<{ data: Uint8Array }>): Promise<void> {
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      if (next.value.data.length > 0 && !res.write(next.value.data)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  } catch {
    res.destroy(); // a truncated tar must not look complete to the client
  }
}

async function* extractRequests(options: runtime.ExtractOptions, req: IncomingMessage): AsyncGenerator<runtime.ExtractToContainerRequest> {
  yield { options, data: Buffer.alloc(0) };
  for await (const chunk of req) yield { data: chunk as Buffer };
}

/** Docker's header: base64 of the JSON ContainerPathStat, the mode in Go's os.FileMode bits. */
function statHeader(s: runtime.ContainerPathStat): string {
  const json = { name: s.name, size: s.size, mode: goFileMode(s.mode), mtime: s.mtime, linkTarget: s.linkTarget };
  return Buffer.from(JSON.stringify(json)).toString('base64');
}

const S_IFMT = 0o170000;
const GO_TYPE: Record<number, number> = {
  0o040000: 2 ** 31, // ModeDir
  0o120000: 2 ** 27, // ModeSymlink
  0o060000: 2 ** 26, // ModeDevice
  0o020000: 2 ** 26 + 2 ** 21, // ModeDevice | ModeCharDevice
  0o010000: 2 ** 25, // ModeNamedPipe
  0o140000: 2 ** 24, // ModeSocket
};

export function goFileMode(mode: number): number {
  let m = (mode & 0o777) + (GO_TYPE[mode & S_IFMT] ?? 0);
  if (mode & 0o4000) m += 2 ** 23; // ModeSetuid
  if (mode & 0o2000) m += 2 ** 22; // ModeSetgid
  if (mode & 0o1000) m += 2 ** 20; // ModeSticky
  return m;
}
