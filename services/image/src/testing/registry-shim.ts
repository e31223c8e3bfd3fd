import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the shim does with one request instead of (or while) forwarding it. */
export type ShimAction =
  | { respond: { status: number; headers?: Record<string, string>; body?: string } }
  /** Forwards, but cuts the connection once this many body bytes went out. */
  | { cutAfter: number }
  /** Forwards this many body bytes, then holds the rest back until `until` settles. */
  | { holdAfter: number; until: Promise<void> };

export interface ShimRequest {
  method: string;
  path: string;
  /** The Range header, if any. */
  range: string | undefined;
  status: number;
  /** Body bytes sent to the client. */
  bytes: number;
  /** When the request arrived (ms since the epoch). */
  at: number;
}

export interface RegistryShim {
  /** "127.0.0.1:PORT" */
  host: string;
  /** Every request, in order, once answered. */
  log: ShimRequest[];
  /** Decides per request; undefined forwards it untouched. Replaceable between tests. */
  rule: (req: IncomingMessage, nth: number) => ShimAction | undefined;
  close(): Promise<void>;
}

/**
 * Test-only: a loopback HTTP server in front of a real registry that can fail requests (5xx, 429
 * with Retry-After), or cut a response mid-body, and logs what it sent. Content always comes from
 * the real registry. `nth` counts requests with the same method and path, from 1.
 */
export async function startRegistryShim(upstream: string): Promise<RegistryShim> {
  const [upHost, upPort] = upstream.split(':') as [string, string];
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const key = `${req.method} ${req.url}`;
    const nth = (counts.get(key) ?? 0) + 1;
    counts.set(key, nth);
    const entry: ShimRequest = { method: req.method ?? '', path: req.url ?? '', range: req.headers.range, status: 0, bytes: 0, at: Date.now() };
    const action = shim.rule(req, nth);
    res.on('close', () => shim.log.push(entry));
    if (action && 'respond' in action) {
      entry.status = action.respond.status;
      entry.bytes = Buffer.byteLength(action.respond.body ?? '');
      res.writeHead(action.respond.status, { 'content-type': 'application/json', ...action.respond.headers });
      res.end(action.respond.body ?? '');
      return;
    }
    const out = http.request({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: { ...req.headers, host: upstream } }, (up) => {
      entry.status = up.statusCode ?? 502;
      res.writeHead(entry.status, up.headers);
      const limit = action && 'cutAfter' in action ? action.cutAfter : Infinity;
      let hold = action && 'holdAfter' in action ? action : undefined;
      up.on('data', (chunk: Buffer) => {
        const room = limit - entry.bytes;
        if (room <= 0) return;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        entry.bytes += part.length;
        if (entry.bytes >= limit) {
          up.destroy();
          res.write(part, () => res.destroy()); // the connection drops mid-body, once `part` is out
          return;
        }
        res.write(part);
        if (hold && entry.bytes >= hold.holdAfter) {
          up.pause();
          void hold.until.finally(() => up.resume());
          hold = undefined;
        }
      });
      up.on('end', () => res.end());
      res.on('close', () => up.destroy());
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const shim: RegistryShim = {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    log: [],
    rule: () => undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return shim;
}

/** Blob GETs in a shim log or a registry access log line: "GET /v2/<repo>/blobs/sha256:…". */
export function isBlobGet(method: string, path: string, digest?: string): boolean {
  return method === 'GET' && /\/blobs\/sha256:[a-f0-9]{64}/.test(path) && (digest === undefined || path.includes(digest));
}

/** Blob GETs in a docker-registry access log (`"GET /v2/…/blobs/sha256:… HTTP/1.1" 200 1234`). */
export function accessLogBlobGets(logs: string): Array<{ digest: string; status: number; bytes: number }> {
  const out: Array<{ digest: string; status: number; bytes: number }> = [];
  for (const m of logs.matchAll(/"GET \/v2\/\S+\/blobs\/(sha256:[a-f0-9]{64}) HTTP\/1\.1" (\d+) (\d+)/g)) {
    out.push({ digest: m[1]!, status: Number(m[2]), bytes: Number(m[3]) });
  }
  return out;
}
