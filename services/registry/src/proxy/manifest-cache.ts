import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, errorKind, type Logger } from '@berth/kit';
import { verifyBytes } from '../domain/digest.js';
import { familiarString, repositoryName, validateDigest } from '../domain/reference.js';
import { Metric, type ProxyMetrics } from './metrics.js';
import type { Repository } from './routes.js';
import { SingleFlight } from './single-flight.js';
import type { TagIndex } from './tag-index.js';
import { isOutage, type Upstreams } from './upstream.js';

export interface CachedManifest {
  digest: string;
  mediaType: string;
  content: Buffer;
}

export interface ManifestCacheOptions {
  dir: string;
  tags: TagIndex;
  upstreams: Upstreams;
  tagTtlMs: number;
  metrics: ProxyMetrics;
  logger: Logger;
}

/**
 * Manifests by digest are immutable: stored once (`manifests/<alg>/<hex>`, first line the media
 * type) and served from disk for ever. Tags are cached for `tagTtlMs`, then revalidated with a
 * HEAD; when the upstream cannot answer, the cached tag is served (stale) rather than failing.
 * Concurrent requests for the same tag or digest share one upstream request.
 */
export class ManifestCache {
  private readonly flights = new SingleFlight<{ manifest: CachedManifest; result: string }>();

  constructor(private readonly o: ManifestCacheOptions) {}

  async get(repo: Repository, reference: string): Promise<CachedManifest> {
    const isDigest = reference.includes(':');
    const name = repositoryName(repo);
    const key = `${name}${isDigest ? '@' : ':'}${reference}`;
    const { manifest, result } = await this.flights.run(key, () => (isDigest ? this.byDigest(repo, reference) : this.byTag(repo, reference)));
    this.o.metrics.inc(Metric.cache, { kind: isDigest ? 'manifest' : 'tag', result });
    return manifest;
  }

  private async byDigest(repo: Repository, digest: string): Promise<{ manifest: CachedManifest; result: string }> {
    validateDigest(digest);
    const cached = await this.read(digest);
    if (cached) return { manifest: cached, result: 'hit' };
    const fetched = await this.fetch(repo, { digest });
    return { manifest: fetched, result: 'miss' };
  }

  private async byTag(repo: Repository, tag: string): Promise<{ manifest: CachedManifest; result: string }> {
    const name = repositoryName(repo);
    const entry = this.o.tags.get(name, tag);
    const cached = entry && (await this.read(entry.digest));
    if (!cached) return { manifest: await this.fetchTag(repo, tag), result: 'miss' };
    if (Date.now() - entry.checkedAt < this.o.tagTtlMs) return { manifest: cached, result: 'hit' };
    if (this.o.upstreams.isDown(repo.domain)) return { manifest: cached, result: 'stale' };
    try {
      const head = await this.o.upstreams.headManifest(repo, tag);
      if (head.digest === entry.digest) {
        this.o.tags.set(name, tag, { ...entry, checkedAt: Date.now() });
        return { manifest: cached, result: 'revalidated' };
      }
      const moved = await this.read(head.digest) ?? (await this.fetch(repo, { digest: head.digest }));
      this.o.tags.set(name, tag, { digest: moved.digest, mediaType: moved.mediaType, checkedAt: Date.now() });
      return { manifest: moved, result: 'miss' };
    } catch (err) {
      if (isOutage(err)) {
        this.o.metrics.inc(Metric.staleServed, { upstream: repo.domain });
        this.o.logger.info({ repository: name, tag, err: (err as Error).message }, 'upstream cannot answer: serving the cached tag');
        return { manifest: cached, result: 'stale' };
      }
      if (errorKind(err) === 'not_found') this.o.tags.delete(name, tag);
      throw err;
    }
  }

  private async fetchTag(repo: Repository, tag: string): Promise<CachedManifest> {
    const manifest = await this.fetch(repo, { tag });
    this.o.tags.set(repositoryName(repo), tag, { digest: manifest.digest, mediaType: manifest.mediaType, checkedAt: Date.now() });
    return manifest;
  }

  /** Fetches (verified by the client) and stores a manifest; an outage says what is missing. */
  private async fetch(repo: Repository, ref: { tag?: string; digest?: string }): Promise<CachedManifest> {
    let fetched;
    try {
      fetched = await this.o.upstreams.getManifest(repo, ref);
    } catch (err) {
      if (!isOutage(err)) throw err;
      const shown = familiarString({ ...repo, ...ref });
      throw new BerthError(errorKind(err), `${shown} is not in the proxy's cache and its registry cannot be reached: ${(err as Error).message}`, { cause: err });
    }
    const manifest = { digest: fetched.digest, mediaType: fetched.mediaType, content: fetched.content };
    await this.write(manifest);
    return manifest;
  }

  private file(digest: string): string {
    const { algorithm, hex } = validateDigest(digest);
    return path.join(this.o.dir, algorithm, hex);
  }

  private async read(digest: string): Promise<CachedManifest | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const nl = bytes.indexOf(0x0a);
    const content = bytes.subarray(nl + 1);
    try {
      verifyBytes(content, digest);
    } catch (err) {
      this.o.logger.warn({ digest, err: (err as Error).message }, 'cached manifest is damaged: fetching it again');
      return undefined;
    }
    return { digest, mediaType: bytes.subarray(0, nl).toString('utf8'), content };
  }

  private async write(m: CachedManifest): Promise<void> {
    const target = this.file(m.digest);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, Buffer.concat([Buffer.from(`${m.mediaType}\n`), m.content]));
    await rename(tmp, target);
  }
}
