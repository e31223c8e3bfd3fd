import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@berth/kit';
import { validateDigest } from '../domain/reference.js';
import { Metric, type ProxyMetrics } from './metrics.js';

/**
 * The proxy's blob cache on disk, content-addressed as containerd lays it out:
 * `blobs/<algorithm>/<hex>` (immutable, only ever renamed into place from `ingest/` after the
 * digest checked out) with a size limit kept by evicting the least recently used blobs. The
 * recency order lives in memory and starts from the files' mtimes, which hits refresh, so a
 * restart keeps roughly the same order. An evicted blob that is still being sent stays readable
 * through its open descriptor (POSIX unlink semantics).
 */
export class BlobStore {
  /** Digest → size, least recently used first (Map iteration order). */
  private readonly lru = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly root: string,
    private readonly maxBytes: number,
    private readonly metrics: ProxyMetrics,
    private readonly logger: Logger,
  ) {}

  /** Creates the directories, drops unfinished ingests, and indexes what is cached. */
  async init(): Promise<void> {
    await rm(path.join(this.root, 'ingest'), { recursive: true, force: true });
    await mkdir(path.join(this.root, 'ingest'), { recursive: true });
    await mkdir(path.join(this.root, 'blobs'), { recursive: true });
    const found: Array<{ digest: string; size: number; mtime: number }> = [];
    for (const algorithm of await readdir(path.join(this.root, 'blobs'))) {
      for (const hex of await readdir(path.join(this.root, 'blobs', algorithm))) {
        const digest = `${algorithm}:${hex}`;
        try {
          validateDigest(digest);
          const st = await stat(this.blobPath(digest));
          found.push({ digest, size: st.size, mtime: st.mtimeMs });
        } catch (err) {
          this.logger.warn({ digest, err: (err as Error).message }, 'ignoring a stray file in the blob cache');
        }
      }
    }
    for (const f of found.sort((a, b) => a.mtime - b.mtime)) this.remember(f.digest, f.size);
    await this.evict();
  }

  /** The cached size of a blob, or undefined; does not count as a use. */
  sizeOf(digest: string): number | undefined {
    return this.lru.get(digest);
  }

  /** Opens a cached blob for reading and marks it most recently used; undefined when absent. */
  async openBlob(digest: string): Promise<{ fh: FileHandle; size: number } | undefined> {
    const size = this.lru.get(digest);
    if (size === undefined) return undefined;
    let fh: FileHandle;
    try {
      fh = await open(this.blobPath(digest), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.forget(digest); // removed behind our back: a miss, fetched again
      return undefined;
    }
    this.remember(digest, size);
    const now = new Date();
    // The mtime only orders eviction after a restart; failing to bump it is harmless.
    fh.utimes(now, now).catch((err: Error) => this.logger.debug({ digest, err: err.message }, 'could not touch cached blob'));
    return { fh, size };
  }

  /** A fresh ingest file path for a blob being fetched. */
  ingestPath(digest: string): string {
    return path.join(this.root, 'ingest', `${validateDigest(digest).hex}.${randomBytes(6).toString('hex')}`);
  }

  /** Renames a verified ingest file into place, then evicts down to the size limit. */
  async commit(ingest: string, digest: string, size: number): Promise<void> {
    const target = this.blobPath(digest);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(ingest, target);
    this.remember(digest, size);
    await this.evict();
  }

  async discard(ingest: string): Promise<void> {
    await rm(ingest, { force: true });
  }

  stats(): { bytes: number; blobs: number } {
    return { bytes: this.total, blobs: this.lru.size };
  }

  private blobPath(digest: string): string {
    const { algorithm, hex } = validateDigest(digest);
    return path.join(this.root, 'blobs', algorithm, hex);
  }

  private remember(digest: string, size: number): void {
    if (this.lru.has(digest)) this.lru.delete(digest);
    else this.total += size;
    this.lru.set(digest, size);
    this.publish();
  }

  private forget(digest: string): void {
    const size = this.lru.get(digest);
    if (size === undefined) return;
    this.lru.delete(digest);
    this.total -= size;
    this.publish();
  }

  private async evict(): Promise<void> {
    while (this.total > this.maxBytes && this.lru.size > 0) {
      const digest = this.lru.keys().next().value as string;
      this.forget(digest);
      this.metrics.inc(Metric.evictions);
      try {
        await unlink(this.blobPath(digest));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.logger.debug({ digest }, 'evicted from the blob cache');
    }
  }

  private publish(): void {
    this.metrics.set(Metric.cacheBytes, this.total);
    this.metrics.set(Metric.cacheBlobs, this.lru.size);
  }
}
