import { createHash } from 'node:crypto';
import http from 'node:http';
import { MANIFEST_ACCEPT } from '@berth/fixtures';


export interface Fetched {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Test-only: one GET (or HEAD) over loopback, body in memory; `onData` sees bytes as they arrive. */
export function httpGet(url: string, opts: { method?: string; headers?: Record<string, string>; onData?: (n: number) => void } = {}): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        parts.push(chunk);
        opts.onData?.(chunk.length);
      });
      // A response cut short (the proxy's way to report a failure mid-body) is an error here.
      res.once('close', () => {
        if (!res.complete) reject(new Error(`GET ${url}: response cut short`));
      });
      res.once('error', reject);
      res.once('end', () => {
        if (!res.complete) return reject(new Error(`GET ${url}: response incomplete`));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) });
      });
    });
    req.once('error', reject);
    req.end();
  });
}

export interface PulledImage {
  manifestDigest: string;
  /** Every blob's bytes hashed: digest → size. */
  blobs: Map<string, number>;
}

/**
 * Test-only: what a client does for one single-platform image: GET the manifest, then all blobs
 * at once, checking each digest. `received` (digest → bytes so far) shows progress meanwhile.
 */
export async function httpPull(base: string, name: string, reference: string, received = new Map<string, number>()): Promise<PulledImage> {
  const m = await httpGet(`${base}/v2/${name}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
  if (m.status !== 200) throw new Error(`manifest ${name}:${reference}: HTTP ${m.status} ${m.body.toString()}`);
  const manifestDigest = `sha256:${createHash('sha256').update(m.body).digest('hex')}`;
  const doc = JSON.parse(m.body.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
  const blobs = new Map<string, number>();
  await Promise.all(
    [doc.config, ...doc.layers].map(async ({ digest }) => {
      received.set(digest, 0);
      const res = await httpGet(`${base}/v2/${name}/blobs/${digest}`, { onData: (n) => received.set(digest, received.get(digest)! + n) });
      if (res.status !== 200) throw new Error(`blob ${digest}: HTTP ${res.status} ${res.body.toString()}`);
      const got = `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
      if (got !== digest) throw new Error(`blob ${digest}: got ${got}`);
      blobs.set(digest, res.body.length);
    }),
  );
  return { manifestDigest, blobs };
}
