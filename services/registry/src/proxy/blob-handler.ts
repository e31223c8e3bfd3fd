import type { IncomingMessage, ServerResponse } from 'node:http';
import { BerthError, errorKind, type Logger } from '@berth/kit';
import { validateDigest } from '../domain/reference.js';
import type { BlobFetcher } from './blob-fetch.js';
import type { BlobStore } from './blob-store.js';
import { Metric, type ProxyMetrics } from './metrics.js';
import type { Repository } from './routes.js';
import { fetchSource, fileSource, sendRange, type ByteSource } from './send-blob.js';
import { isOutage, type Upstreams } from './upstream.js';

export interface BlobHandlerDeps {
  store: BlobStore;
  fetcher: BlobFetcher;
  upstreams: Upstreams;
  metrics: ProxyMetrics;
  logger: Logger;
}

/**
 * `GET|HEAD /v2/<name>/blobs/<digest>`: from the cache when it is there, else from the one
 * running download of the digest (joined, or started), streamed as it arrives. Ranges are served
 * from both. A HEAD for an uncached blob asks the upstream without downloading.
 */
export async function serveBlob(deps: BlobHandlerDeps, req: IncomingMessage, res: ServerResponse, repo: Repository, digest: string): Promise<void> {
  validateDigest(digest);
  const head = req.method === 'HEAD';
  const cached = await deps.store.openBlob(digest);
  if (cached) {
    deps.metrics.inc(Metric.cache, { kind: 'blob', result: 'hit' });
    try {
      await respond(deps, req, res, digest, cached.size, fileSource(cached.fh, cached.size), 'cache');
    } finally {
      await cached.fh.close();
    }
    return;
  }
  if (head && deps.store.sizeOf(digest) === undefined && !deps.fetcher.running(digest)) {
    const { size } = await deps.upstreams.statBlob(repo, digest);
    writeHeaders(res, 200, digest, { 'content-length': size });
    res.end();
    return;
  }
  // Committed between the lookup above and now: serve it from the cache after all.
  if (deps.store.sizeOf(digest) !== undefined && !deps.fetcher.running(digest)) return serveBlob(deps, req, res, repo, digest);
  const open = async (offset: number, signal: AbortSignal) => {
    try {
      return await deps.upstreams.fetchBlob(repo, digest, offset, signal);
    } catch (err) {
      if (offset > 0 || !isOutage(err)) throw err;
      throw new BerthError(errorKind(err), `blob ${digest} is not in the proxy's cache and its registry cannot be reached: ${(err as Error).message}`, { cause: err });
    }
  };
  const { fetch, joined } = deps.fetcher.fetch(digest, repo.domain, open);
  deps.metrics.inc(Metric.cache, { kind: 'blob', result: joined ? 'coalesced' : 'miss' });
  try {
    await fetch.ready;
    await respond(deps, req, res, digest, fetch.size, fetchSource(fetch), 'inflight');
  } finally {
    await fetch.release();
  }
}

async function respond(
  deps: BlobHandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  digest: string,
  size: number,
  source: ByteSource,
  from: 'cache' | 'inflight',
): Promise<void> {
  const range = Number.isFinite(size) ? parseRange(req.headers.range, size) : undefined;
  if (range === 'unsatisfiable') {
    writeHeaders(res, 416, digest, { 'content-range': `bytes */${size}`, 'content-length': 0 });
    res.end();
    return;
  }
  const [start, end] = range ?? [0, size];
  const headers: Record<string, string | number> = {};
  if (Number.isFinite(size)) headers['content-length'] = end - start;
  if (range) headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
  writeHeaders(res, range ? 206 : 200, digest, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const sent = await sendRange(res, source, start, Number.isFinite(end) ? end : undefined);
  deps.metrics.inc(Metric.servedBytes, { source: from }, sent);
}

function writeHeaders(res: ServerResponse, status: number, digest: string, extra: Record<string, string | number>): void {
  res.writeHead(status, {
    'content-type': 'application/octet-stream',
    'docker-content-digest': digest,
    etag: `"${digest}"`,
    'accept-ranges': 'bytes',
    'cache-control': 'max-age=31536000',
    ...extra,
  });
}

/**
 * A single `bytes=` range as [start, end): `a-b`, `a-`, `-n`. Anything else (several ranges,
 * other units, garbage) is ignored, and the whole blob sent, as RFC 9110 allows.
 */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
  if (start >= size) return 'unsatisfiable';
  if (end <= start) return undefined;
  return [start, end];
}
