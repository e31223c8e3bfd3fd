import { BerthError } from '@berth/kit';
import { DigestVerifier } from './digest.js';
import { discard, readBody, TransportError, type HttpResponse } from './http.js';
import { validateDigest, type Reference } from './reference.js';
import { registryError } from './registry-errors.js';
import type { Endpoint, RegistryTransport } from './transport.js';
import type { Credentials } from './auth.js';

type Repository = Pick<Reference, 'domain' | 'path'>;
type EndpointRunner = <T>(repo: Repository, op: (ep: Endpoint) => Promise<T>) => Promise<T>;

export interface BlobStream {
  /** Full size of the blob (not of the part from the offset). */
  totalSize: number;
  /**
   * The bytes from the offset, as they arrive. From offset 0 the iteration ends with a digest
   * check: a mismatch throws `data_loss` after the last chunk, so a consumer commits only once
   * the iteration finished without error. Breaking out early releases the connection.
   */
  chunks: AsyncIterable<Buffer>;
  /** Releases the connection when the chunks will not be read to the end. */
  close(): void;
  /**
   * Hands a chunk back for reuse once the consumer is done with it (its bytes may then be
   * overwritten): a plain-HTTP download then reads into the same few buffers throughout.
   * Optional: a chunk that is not handed back stays the consumer's.
   */
  recycle(chunk: Buffer): void;
}

interface Options {
  creds?: Credentials;
  signal?: AbortSignal;
  offset?: number;
}

/** Blob reads: ranged, streamed, verified. */
export class BlobReader {
  constructor(
    private readonly transport: RegistryTransport,
    private readonly firstEndpoint: EndpointRunner,
  ) {}

  async fetch(repo: Repository, digest: string, opts: Options = {}): Promise<BlobStream> {
    validateDigest(digest);
    const offset = opts.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new BerthError('invalid_argument', `invalid offset ${offset}`);
    return this.firstEndpoint(repo, async (ep) => {
      const res = await this.transport.request(ep, {
        method: 'GET',
        path: `/${repo.path}/blobs/${digest}`,
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        scopes: [`repository:${repo.path}:pull`],
        creds: opts.creds,
        signal: opts.signal,
        bulk: true,
      });
      if (res.status === 416) {
        discard(res);
        const { size } = await this.stat(repo, digest, opts);
        if (size === offset) return { totalSize: size, chunks: (async function* () {})(), close: () => {}, recycle: () => {} };
        throw new BerthError('invalid_argument', `blob ${digest}: offset ${offset} is beyond its size ${size}`);
      }
      if (res.status !== 200 && res.status !== 206) throw blobError(res.status, await errorBody(res), digest);
      const totalSize = sizeOf(res, offset, digest);
      // A server that ignores Range answers 200 with everything: skip up to the offset ourselves.
      const skip = res.status === 200 ? offset : 0;
      return {
        totalSize,
        chunks: chunksOf(res, digest, offset, skip, totalSize),
        close: () => {
          if (!res.body.complete) res.body.destroy();
        },
        recycle: (chunk) => res.body.recycle?.(chunk),
      };
    });
  }

  async readAll(repo: Repository, digest: string, limit: number, opts: Options = {}): Promise<Buffer> {
    const blob = await this.fetch(repo, digest, { ...opts, offset: 0 });
    if (blob.totalSize > limit) {
      blob.close();
      throw new BerthError('failed_precondition', `blob ${digest} is too large (${blob.totalSize} bytes, limit ${limit})`);
    }
    const parts: Buffer[] = [];
    for await (const chunk of blob.chunks) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async stat(repo: Repository, digest: string, opts: Options = {}): Promise<{ size: number; mediaType: string }> {
    validateDigest(digest);
    return this.firstEndpoint(repo, async (ep) => {
      const res = await this.transport.request(ep, {
        method: 'HEAD',
        path: `/${repo.path}/blobs/${digest}`,
        scopes: [`repository:${repo.path}:pull`],
        creds: opts.creds,
        signal: opts.signal,
      });
      discard(res);
      if (res.status !== 200) throw blobError(res.status, Buffer.alloc(0), digest);
      const size = Number(res.headers['content-length']);
      if (!Number.isSafeInteger(size)) throw new BerthError('unavailable', `blob ${digest}: registry sent no size`);
      return { size, mediaType: String(res.headers['content-type'] ?? '').split(';')[0]!.trim() };
    });
  }
}

/** Full size from `Content-Range: bytes 10-99/100` or, for a 200, `Content-Length`. */
function sizeOf(res: HttpResponse, offset: number, digest: string): number {
  if (res.status === 206) {
    const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== offset) {
      res.body.destroy();
      throw new BerthError('unavailable', `blob ${digest}: registry answered a range it was not asked for`);
    }
    if (m[3] !== '*') return Number(m[3]);
    return offset + Number(res.headers['content-length'] ?? NaN);
  }
  return Number(res.headers['content-length'] ?? NaN);
}

async function* chunksOf(res: HttpResponse, digest: string, offset: number, skip: number, totalSize: number): AsyncGenerator<Buffer> {
  const verifier = offset === 0 ? new DigestVerifier(digest) : undefined;
  let received = 0;
  let toSkip = skip;
  try {
    for await (const raw of res.body as AsyncIterable<Buffer>) {
      let chunk = raw;
      if (toSkip > 0) {
        const n = Math.min(toSkip, chunk.length);
        toSkip -= n;
        chunk = chunk.subarray(n);
        if (chunk.length === 0) continue;
      }
      verifier?.update(chunk);
      received += chunk.length;
      yield chunk;
    }
  } catch (err) {
    if (err instanceof BerthError) throw err;
    if ((err as Error).name === 'AbortError') throw new BerthError('cancelled', `blob ${digest}: cancelled`, { cause: err });
    throw new TransportError(`blob ${digest}: connection lost after ${offset + received} bytes: ${(err as Error).message}`, err);
  } finally {
    // Stopped early (consumer broke out or failed): do not leave the socket half read.
    if (!res.body.complete) res.body.destroy();
  }
  if (Number.isFinite(totalSize) && offset + received !== totalSize) {
    throw new TransportError(`blob ${digest}: got ${offset + received} of ${totalSize} bytes`);
  }
  verifier?.verify();
}

function errorBody(res: HttpResponse): Promise<Buffer> {
  // The error body only words the message; failing to read it must not hide the status.
  return readBody(res, 64 * 1024, 'error body').catch(() => Buffer.alloc(0));
}

function blobError(status: number, body: Buffer, digest: string): BerthError {
  if (status === 404 && body.length === 0) return new BerthError('not_found', `blob ${digest} not found: blob unknown to registry`);
  if (status === 404) return registryError(status, body, `blob ${digest} not found`);
  return registryError(status, body, `blob ${digest}`);
}
