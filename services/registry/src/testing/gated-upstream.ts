import http from 'node:http';
import { startRegistryProxy, type RegistryProxy } from './registry-proxy.js';

export interface GatedUpstream extends RegistryProxy {
  /** GETs of `/blobs/<digest>` forwarded so far. */
  blobGets(digest: string): number;
  /** Blob responses sent to the end. */
  completed(): number;
  /** Lets the held-back tails of all blob responses (present and future) through. */
  release(): void;
}

/**
 * Test-only: a loopback shim in front of a real registry that forwards everything, counts blob
 * GETs, and holds back the last `holdBack` bytes of every blob response until `release()`, so a
 * test can observe what a client received while the upstream transfer is still unfinished.
 */
export async function startGatedUpstream(upstreamHost: string, holdBack: number): Promise<GatedUpstream> {
  const gets = new Map<string, number>();
  let completed = 0;
  let open!: () => void;
  const released = new Promise<void>((resolve) => (open = resolve));
  const [host, port] = upstreamHost.split(':') as [string, string];
  const proxy = await startRegistryProxy(upstreamHost, (req, res) => {
    const digest = req.method === 'GET' ? /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '')?.[1] : undefined;
    if (!digest) return false;
    gets.set(digest, (gets.get(digest) ?? 0) + 1);
    const { authorization: _auth, ...headers } = req.headers;
    const out = http.request({ host, port: Number(port), method: 'GET', path: req.url, headers: { ...headers, host: upstreamHost } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      const total = Number(up.headers['content-length'] ?? 0);
      const limit = Math.max(0, total - holdBack);
      let seen = 0;
      const held: Buffer[] = [];
      up.on('data', (chunk: Buffer) => {
        const pass = Math.max(0, Math.min(chunk.length, limit - seen));
        if (pass > 0) res.write(chunk.subarray(0, pass));
        if (pass < chunk.length) held.push(chunk.subarray(pass));
        seen += chunk.length;
      });
      up.once('end', () => {
        void released.then(() => {
          for (const part of held) res.write(part);
          res.end(() => completed++);
        });
      });
      up.once('error', () => res.destroy());
    });
    out.once('error', () => res.destroy());
    out.end();
    return true;
  });
  return { ...proxy, blobGets: (digest) => gets.get(digest) ?? 0, completed: () => completed, release: open };
}
