import { BerthError, errorKind, type Logger } from '@berth/kit';
import type { Credentials } from './auth.js';
import { BlobReader, type BlobStream } from './blob-reader.js';
import { sha256Of, verifyBytes } from './digest.js';
import { endpointsFor } from './endpoints.js';
import { readBody, type HttpResponse } from './http.js';
import { InsecureRegistries } from './insecure.js';
import { classifyManifest, MANIFEST_ACCEPT, parseJsonObject, type ManifestDoc } from './media-types.js';
import { familiarName, familiarString, registryHostOf, validateDigest, type Reference } from './reference.js';
import { registryError, registryErrorCodes, registryErrorMessage } from './registry-errors.js';
import type { RetryPolicy } from './retry.js';
import { RegistryTransport, type Endpoint } from './transport.js';

export type Repository = Pick<Reference, 'domain' | 'path'>;

export interface RequestOptions {
  creds?: Credentials;
  signal?: AbortSignal;
}

export interface DistributionClientOptions {
  /** `config.registry.insecure`: host[:port] or CIDR; loopback is always insecure. */
  insecure?: readonly string[];
  /** `config.registry.mirrors`: registry host → mirror URLs, tried first for pulls. */
  mirrors?: Readonly<Record<string, readonly string[]>>;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  maxManifestBytes?: number;
  logger?: Logger;
}

export interface FetchedManifest {
  mediaType: string;
  digest: string;
  content: Buffer;
  doc: ManifestDoc;
}

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
/** Kinds after which the next mirror (or the registry itself) is worth asking. */
const FALL_THROUGH = new Set(['not_found', 'unavailable', 'permission_denied', 'resource_exhausted', 'data_loss']);

/** The OCI distribution API, read side: manifests, blobs, tags, login. */
export class DistributionClient {
  readonly transport: RegistryTransport;
  private readonly blobs: BlobReader;
  private readonly maxManifestBytes: number;

  constructor(private readonly options: DistributionClientOptions = {}) {
    this.transport = new RegistryTransport({
      insecure: new InsecureRegistries(options.insecure ?? []),
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      logger: options.logger,
    });
    this.maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
    this.blobs = new BlobReader(this.transport, (repo, op) => this.firstEndpoint(repo, op));
  }

  /** A manifest or index by tag or digest, verified against the digest when one was asked for. */
  async getManifest(ref: Reference & { tag?: string; digest?: string }, opts: RequestOptions = {}): Promise<FetchedManifest> {
    const tagOrDigest = ref.digest ?? ref.tag;
    if (!tagOrDigest) throw new BerthError('invalid_argument', 'a manifest needs a tag or a digest');
    if (ref.digest) validateDigest(ref.digest);
    const shown = familiarString(ref.digest ? { domain: ref.domain, path: ref.path, digest: ref.digest } : ref);
    return this.firstEndpoint(ref, async (ep) => {
      const res = await this.transport.request(ep, {
        method: 'GET',
        path: `/${ref.path}/manifests/${tagOrDigest}`,
        headers: { accept: MANIFEST_ACCEPT },
        scopes: [pullScope(ref)],
        ...opts,
      });
      if (res.status !== 200) throw await manifestError(res, ref, shown);
      const content = await readBody(res, this.maxManifestBytes, `manifest for ${shown}`);
      let digest: string;
      if (ref.digest) {
        verifyBytes(content, ref.digest);
        digest = ref.digest;
      } else {
        digest = sha256Of(content);
        const announced = headerValue(res, 'docker-content-digest');
        if (announced?.startsWith('sha256:') && announced !== digest) {
          throw new BerthError('data_loss', `digest mismatch for ${announced}: got ${digest}`);
        }
      }
      const { mediaType, doc } = classifyManifest(headerValue(res, 'content-type'), content, `manifest for ${shown}`);
      return { mediaType, digest, content, doc };
    });
  }

  /** What a tag or digest points at, without the body (HEAD): digest, media type, size. */
  async headManifest(ref: Reference, opts: RequestOptions = {}): Promise<{ digest: string; mediaType: string; size: number }> {
    const tagOrDigest = ref.digest ?? ref.tag;
    if (!tagOrDigest) throw new BerthError('invalid_argument', 'a manifest needs a tag or a digest');
    const shown = familiarString(ref);
    return this.firstEndpoint(ref, async (ep) => {
      const res = await this.transport.request(ep, {
        method: 'HEAD',
        path: `/${ref.path}/manifests/${tagOrDigest}`,
        headers: { accept: MANIFEST_ACCEPT },
        scopes: [pullScope(ref)],
        ...opts,
      });
      if (res.status !== 200) throw await manifestError(res, ref, shown);
      res.body.resume();
      const digest = headerValue(res, 'docker-content-digest') ?? ref.digest;
      if (!digest) throw new BerthError('unavailable', `manifest for ${shown}: registry sent no Docker-Content-Digest`);
      const mediaType = (headerValue(res, 'content-type') ?? '').split(';')[0]!.trim();
      return { digest, mediaType, size: Number(headerValue(res, 'content-length') ?? 0) };
    });
  }

  /** Streams a blob from `offset`; from 0 the stream ends with a digest check (`data_loss`). */
  fetchBlob(repo: Repository, digest: string, opts: RequestOptions & { offset?: number } = {}): Promise<BlobStream> {
    return this.blobs.fetch(repo, digest, opts);
  }

  /** A whole small blob (an image config), size-limited and verified. */
  readBlob(repo: Repository, digest: string, limit: number, opts: RequestOptions = {}): Promise<Buffer> {
    return this.blobs.readAll(repo, digest, limit, opts);
  }

  statBlob(repo: Repository, digest: string, opts: RequestOptions = {}): Promise<{ size: number; mediaType: string }> {
    return this.blobs.stat(repo, digest, opts);
  }

  /** All tags of a repository, following `Link` pagination. */
  async listTags(repo: Repository, opts: RequestOptions = {}): Promise<string[]> {
    return this.firstEndpoint(repo, async (ep) => {
      const tags: string[] = [];
      let path: string | undefined = `/${repo.path}/tags/list?n=1000`;
      for (let page = 0; path && page < 1000; page++) {
        const res = await this.transport.request(ep, { method: 'GET', path, scopes: [pullScope(repo)], ...opts });
        const body = await readBody(res, this.maxManifestBytes, `tags of ${familiarName(repo)}`);
        if (res.status !== 200) throw registryError(res.status, body, `repository ${familiarName(repo)}`);
        const json = parseJsonObject<{ tags?: string[] | null }>(body, `tags of ${familiarName(repo)}`);
        tags.push(...(json.tags ?? []));
        path = nextPage(headerValue(res, 'link'), ep);
      }
      return tags;
    });
  }

  /** Checks credentials against a registry (`docker login`); only the registry itself, never a mirror. */
  async login(serverAddress: string, creds: Credentials, signal?: AbortSignal): Promise<{ status: string; identityToken: string }> {
    const domain = registryHostOf(serverAddress);
    const ep = endpointsFor(domain).at(-1)!;
    const res = await this.transport.request(ep, { method: 'GET', path: '/', scopes: [], creds, signal });
    const body = await readBody(res, MAX_ERROR_BODY, `login to ${domain}`);
    if (res.status === 401) {
      throw new BerthError('permission_denied', `login to ${domain}: unauthorized: incorrect username or password`);
    }
    if (res.status !== 200) throw registryError(res.status, body, `login to ${domain}`);
    const [{ base }] = await this.transport.bases(ep);
    const { identityToken } = creds.username ? await this.transport.authorizer.login(base!, creds) : { identityToken: '' };
    return { status: 'Login Succeeded', identityToken };
  }

  close(): void {
    this.transport.close();
  }

  /** Runs `op` against each endpoint of the repository's registry until one answers. */
  private async firstEndpoint<T>(repo: Repository, op: (ep: Endpoint) => Promise<T>): Promise<T> {
    const endpoints = endpointsFor(repo.domain, this.options.mirrors);
    for (const ep of endpoints) {
      try {
        return await op(ep);
      } catch (err) {
        if (!ep.mirror || !FALL_THROUGH.has(errorKind(err))) throw err;
        this.options.logger?.info({ mirror: ep.authority, err: (err as Error).message }, 'mirror failed, trying the next endpoint');
      }
    }
    throw new Error('unreachable: the registry itself is always the last endpoint');
  }
}

export function pullScope(repo: Repository): string {
  return `repository:${repo.path}:pull`;
}

export function headerValue(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Docker's wording for a failed manifest fetch (distribution/errors.go). */
async function manifestError(res: HttpResponse, repo: Repository, shown: string): Promise<BerthError> {
  const body = await readBody(res, MAX_ERROR_BODY, `manifest for ${shown}`).catch(() => Buffer.alloc(0));
  const message = registryErrorMessage(res.status, body);
  const codes = registryErrorCodes(body);
  if (res.status === 404 && codes[0] === 'NAME_UNKNOWN') {
    return new BerthError('not_found', `repository ${familiarName(repo)} not found: ${message}`);
  }
  if (res.status === 404) return new BerthError('not_found', `manifest for ${shown} not found: ${message}`);
  if (res.status === 401 || res.status === 403) {
    return new BerthError(
      'permission_denied',
      `pull access denied for ${familiarName(repo)}, repository does not exist or may require 'docker login': ${message}`,
    );
  }
  return registryError(res.status, body, `manifest for ${shown}`);
}

/** The path of the next page from a `Link: </v2/x/tags/list?last=a&n=1000>; rel="next"` header. */
function nextPage(link: string | undefined, ep: Endpoint): string | undefined {
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  if (!m) return undefined;
  const url = new URL(m[1]!, 'http://registry.invalid');
  const prefix = `${ep.prefix}/v2`;
  return url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) + url.search : undefined;
}
