import { Readable } from 'node:stream';
import { BerthError } from '@berth/kit';
import type { Credentials } from './auth.js';
import { endpointsFor } from './endpoints.js';
import { discard, readBody, type HttpResponse } from './http.js';
import { familiarName, validateDigest, type Reference } from './reference.js';
import { registryError, registryErrorCodes, registryErrorMessage } from './registry-errors.js';
import type { Endpoint, RegistryRequest, RegistryTransport } from './transport.js';
import { rechunk, verifiedBytes, type BlobSource } from './upload-stream.js';

export type { BlobSource };

type Repository = Pick<Reference, 'domain' | 'path'>;

export interface PushRequestOptions {
  creds?: Credentials;
  signal?: AbortSignal;
}


export interface PushBlobOptions extends PushRequestOptions {
  /** 0: one monolithic PUT; otherwise PATCH chunks of this many bytes, then PUT ?digest=. */
  chunkSize?: number;
  /** Repositories of the same registry to try a cross-repository mount from first. */
  mountFrom?: Repository[];
  /** Upload even when the registry already has the blob. */
  force?: boolean;
}

export type PushOutcome = 'uploaded' | 'exists' | 'mounted';

export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;

/**
 * The write side of the distribution API for blobs: existence checks, cross-repository mounts,
 * monolithic and chunked uploads. Pushes go to the registry itself, never to a mirror, with the
 * token scope `repository:<path>:pull,push`.
 */
export class BlobPusher {
  constructor(private readonly transport: RegistryTransport) {}

  async exists(repo: Repository, digest: string, opts: PushRequestOptions = {}): Promise<{ exists: boolean; size: number }> {
    validateDigest(digest);
    const res = await this.send(repo, { method: 'HEAD', path: `/${repo.path}/blobs/${digest}`, scopes: [pushScope(repo)], ...opts });
    if (res.status !== 200 && res.status !== 404) throw await pushError(res, repo, `blob ${digest}`);
    discard(res);
    if (res.status === 404) return { exists: false, size: 0 };
    return { exists: true, size: Number(res.headers['content-length'] ?? 0) };
  }

  /**
   * Asks the registry to link `digest` from `from` into `repo`. A registry that cannot (or does
   * not know the blob) opens an upload session instead: its Location is returned, or cancelled
   * when `keepSession` is false.
   */
  async mount(repo: Repository, digest: string, from: Repository, opts: PushRequestOptions & { keepSession?: boolean } = {}) {
    validateDigest(digest);
    if (from.domain !== repo.domain) throw new BerthError('invalid_argument', `cannot mount ${digest} across registries (${from.domain} → ${repo.domain})`);
    const query = new URLSearchParams({ mount: digest, from: from.path });
    const res = await this.send(repo, {
      method: 'POST',
      path: `/${repo.path}/blobs/uploads/?${query}`,
      headers: { 'content-length': '0' },
      scopes: [pushScope(repo), `repository:${from.path}:pull`],
      ...opts,
    });
    if (res.status !== 201 && res.status !== 202) throw await pushError(res, repo, `mount of ${digest} from ${familiarName(from)}`);
    discard(res);
    if (res.status === 201) return { mounted: true as const };
    const location = locationOf(res, `mount of ${digest}`);
    if (opts.keepSession) return { mounted: false as const, location };
    await this.cancel(repo, location, opts);
    return { mounted: false as const };
  }

  /** Pushes one blob: skipped when present, mounted when possible, else uploaded. */
  async push(repo: Repository, source: BlobSource, opts: PushBlobOptions = {}): Promise<{ outcome: PushOutcome; digest: string; size: number }> {
    validateDigest(source.digest);
    const chunkSize = opts.chunkSize ?? 0;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 0 || chunkSize > MAX_CHUNK_SIZE) {
      throw new BerthError('invalid_argument', `chunk size ${chunkSize} is out of range (0 … ${MAX_CHUNK_SIZE})`);
    }
    if (!Number.isSafeInteger(source.size) || source.size < 0) throw new BerthError('invalid_argument', `invalid blob size ${source.size}`);
    const done = (outcome: PushOutcome) => ({ outcome, digest: source.digest, size: source.size });
    if (!opts.force && (await this.exists(repo, source.digest, opts)).exists) return done('exists');
    let location: string | undefined;
    const candidates = opts.mountFrom ?? [];
    for (const [i, from] of candidates.entries()) {
      const last = i === candidates.length - 1;
      const m = await this.mount(repo, source.digest, from, { ...opts, keepSession: last });
      if (m.mounted) return done('mounted');
      location = m.location;
    }
    location ??= await this.startUpload(repo, opts);
    try {
      const verified = verifiedBytes(source);
      if (chunkSize === 0) await this.putMonolithic(repo, location, source, verified, opts);
      else await this.putChunked(repo, location, source, verified, chunkSize, opts);
    } catch (err) {
      await this.cancel(repo, location, opts);
      throw err;
    }
    return done('uploaded');
  }

  private async startUpload(repo: Repository, opts: PushRequestOptions): Promise<string> {
    const res = await this.send(repo, {
      method: 'POST',
      path: `/${repo.path}/blobs/uploads/`,
      headers: { 'content-length': '0' },
      scopes: [pushScope(repo)],
      ...opts,
    });
    if (res.status !== 202) throw await pushError(res, repo, 'start of an upload');
    discard(res);
    return locationOf(res, 'start of an upload');
  }

  private async putMonolithic(repo: Repository, location: string, source: BlobSource, body: AsyncIterable<Buffer>, opts: PushRequestOptions) {
    const res = await this.send(repo, {
      method: 'PUT',
      path: '',
      location: withDigest(location, source.digest),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(source.size) },
      body: Readable.from(body, { objectMode: false }),
      scopes: [pushScope(repo)],
      ...opts,
    });
    if (res.status !== 201) throw await pushError(res, repo, `upload of ${source.digest}`);
    discard(res);
  }

  private async putChunked(repo: Repository, location: string, source: BlobSource, body: AsyncIterable<Buffer>, chunkSize: number, opts: PushRequestOptions) {
    let offset = 0;
    let next = location;
    for await (const chunk of rechunk(body, chunkSize)) {
      const res = await this.send(repo, {
        method: 'PATCH',
        path: '',
        location: next,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
        scopes: [pushScope(repo)],
        ...opts,
      });
      if (res.status !== 202) throw await pushError(res, repo, `upload of ${source.digest} at offset ${offset}`);
      discard(res);
      next = locationOf(res, `upload of ${source.digest}`);
      offset += chunk.length;
    }
    const res = await this.send(repo, {
      method: 'PUT',
      path: '',
      location: withDigest(next, source.digest),
      headers: { 'content-length': '0' },
      scopes: [pushScope(repo)],
      ...opts,
    });
    if (res.status !== 201) throw await pushError(res, repo, `upload of ${source.digest}`);
    discard(res);
  }

  /** Abandons an upload session; a failure to do so is not the caller's problem (sessions expire). */
  private async cancel(repo: Repository, location: string, opts: PushRequestOptions): Promise<void> {
    try {
      const res = await this.send(repo, { method: 'DELETE', path: '', location, scopes: [pushScope(repo)], ...opts });
      discard(res);
    } catch {
      // The registry purges abandoned uploads itself; the push's own error is what matters.
    }
  }

  send(repo: Repository, req: RegistryRequest): Promise<HttpResponse> {
    return this.transport.request(registryEndpoint(repo), req);
  }
}

export function pushScope(repo: Repository): string {
  return `repository:${repo.path}:pull,push`;
}

/** Pushes and logins talk to the registry itself, never a mirror. */
export function registryEndpoint(repo: Repository): Endpoint {
  return endpointsFor(repo.domain).at(-1)!;
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location, 'http://registry.invalid');
  url.searchParams.set('digest', digest);
  return /^[a-z]+:\/\//i.test(location) ? url.href : url.pathname + url.search;
}

function locationOf(res: HttpResponse, what: string): string {
  const location = res.headers.location;
  if (!location) throw new BerthError('unavailable', `${what}: registry sent no Location`);
  return location;
}

/** Docker's wording for a refused push; other failures keep the registry's own message. */
export async function pushError(res: HttpResponse, repo: Repository, what: string): Promise<BerthError> {
  // The body only words the message; failing to read it must not hide the status.
  const body = await readBody(res, MAX_ERROR_BODY, what).catch(() => Buffer.alloc(0));
  const codes = registryErrorCodes(body);
  if (res.status === 401 || res.status === 403) {
    return new BerthError('permission_denied', `push access denied for ${familiarName(repo)}: ${registryErrorMessage(res.status, body)}`);
  }
  if (codes.includes('MANIFEST_BLOB_UNKNOWN') || codes.includes('BLOB_UNKNOWN')) {
    return new BerthError('failed_precondition', `${what}: ${registryErrorMessage(res.status, body)}`);
  }
  return registryError(res.status, body, what);
}
