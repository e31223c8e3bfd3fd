import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { BerthError, errorKind, type Logger } from '@berth/kit';
import type { BlobStream } from '../domain/blob-reader.js';
import { DigestVerifier } from '../domain/digest.js';
import type { BlobStore } from './blob-store.js';
import { Metric, type ProxyMetrics } from './metrics.js';

/** Opens the upstream blob from an offset (0 first; later offsets resume a broken transfer). */
export type OpenUpstream = (offset: number, signal: AbortSignal) => Promise<BlobStream>;

const MAX_RESUMES = 3;

/**
 * One upstream download of a blob into an ingest file, shared by every client that asks for the
 * blob while it runs. Clients read the ingest file behind the writer at their own pace (a slow
 * client never holds up the download or the other clients), and no client gets the blob's last
 * byte before the digest checked out: a response can only complete with verified content.
 */
export class BlobFetch {
  /** Full size, known once the upstream answered (NaN if it did not say). */
  size = NaN;
  written = 0;
  state: 'starting' | 'running' | 'done' | 'failed' = 'starting';
  error: unknown;
  fh: FileHandle | undefined;
  /** Resolves once the upstream answered and the ingest file is open; rejects with its error. */
  readonly ready: Promise<void>;
  private refs = 1;
  private wake!: () => void;
  private tick!: Promise<void>;
  private readyResolve!: () => void;
  private readyReject!: (err: unknown) => void;

  constructor(readonly digest: string) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    // Every reader awaits `ready`; this only keeps a failure nobody waited for from crashing the process.
    this.ready.catch(() => undefined);
    this.arm();
  }

  /** Resolves on the next progress or state change. */
  changed(): Promise<void> {
    return this.tick;
  }

  /** How far a reader may send now: everything once verified, before that all but the last byte. */
  sendable(): number {
    if (this.state === 'done') return this.written;
    const limit = Number.isFinite(this.size) ? Math.min(this.written, this.size - 1) : this.written - 1;
    return Math.max(0, limit);
  }

  acquire(): void {
    this.refs++;
  }

  async release(): Promise<void> {
    if (--this.refs === 0) await this.fh?.close();
  }

  notify(): void {
    const wake = this.wake;
    this.arm();
    wake();
  }

  started(size: number, fh: FileHandle): void {
    this.size = size;
    this.fh = fh;
    this.state = 'running';
    this.readyResolve();
  }

  finish(error?: unknown): void {
    this.state = error === undefined ? 'done' : 'failed';
    this.error = error;
    if (error !== undefined) this.readyReject(error);
    this.notify();
  }

  private arm(): void {
    this.tick = new Promise<void>((resolve) => (this.wake = resolve));
  }
}

/** Runs at most one upstream download per digest at a time; later askers join the running one. */
export class BlobFetcher {
  private readonly inflight = new Map<string, BlobFetch>();
  private readonly runs = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly store: BlobStore,
    private readonly metrics: ProxyMetrics,
    private readonly logger: Logger,
  ) {}

  running(digest: string): boolean {
    return this.inflight.has(digest);
  }

  /** The running download of `digest`, or a new one. The caller holds a reference: release() it. */
  fetch(digest: string, upstream: string, openUpstream: OpenUpstream): { fetch: BlobFetch; joined: boolean } {
    const running = this.inflight.get(digest);
    if (running) {
      running.acquire();
      return { fetch: running, joined: true };
    }
    const fetch = new BlobFetch(digest);
    fetch.acquire(); // one reference for the download itself, one for the caller
    this.inflight.set(digest, fetch);
    const run = this.run(fetch, upstream, openUpstream)
      .catch((err: unknown) => this.logger.error({ err, digest }, 'blob download bookkeeping failed'))
      .finally(() => {
        this.inflight.delete(digest);
        this.runs.delete(run);
      });
    this.runs.add(run);
    return { fetch, joined: false };
  }

  /** Cancels the running downloads and waits until they have cleaned up after themselves. */
  async close(): Promise<void> {
    this.abort.abort(new BerthError('cancelled', 'the proxy is shutting down'));
    await Promise.all(this.runs);
  }

  private async run(fetch: BlobFetch, upstream: string, openUpstream: OpenUpstream): Promise<void> {
    const ingest = this.store.ingestPath(fetch.digest);
    try {
      try {
        await this.download(fetch, ingest, upstream, openUpstream);
      } catch (err) {
        await this.failed(fetch, ingest, upstream, err);
        return;
      }
      // Verified: the clients may have their last bytes now; the cache gets the file once it is on disk.
      fetch.finish();
      await this.keep(fetch, ingest);
    } finally {
      await fetch.release();
    }
  }

  /** Upstream → ingest file, resuming a broken transfer; returns once the bytes are verified. */
  private async download(fetch: BlobFetch, ingest: string, upstream: string, openUpstream: OpenUpstream): Promise<void> {
    const signal = this.abort.signal;
    let blob = await openUpstream(0, signal);
    let streamVerified = true;
    try {
      fetch.started(blob.totalSize, await open(ingest, 'w+'));
      for (let resumes = 0; ; resumes++) {
        try {
          for await (const chunk of blob.chunks) {
            await fetch.fh!.write(chunk, 0, chunk.length, fetch.written);
            fetch.written += chunk.length;
            this.metrics.inc(Metric.upstreamBytes, { upstream }, chunk.length);
            fetch.notify();
          }
          break;
        } catch (err) {
          // A transfer cut short is resumed from where it broke (registries serve Range); bad bytes are not.
          if (errorKind(err) !== 'unavailable' || resumes >= MAX_RESUMES || fetch.written === 0 || signal.aborted) throw err;
          this.logger.info({ digest: fetch.digest, offset: fetch.written, err: (err as Error).message }, 'resuming blob download');
          blob = await openUpstream(fetch.written, signal);
          streamVerified = false;
        }
      }
    } finally {
      blob.close();
    }
    if (!streamVerified) await verifyFile(ingest, fetch.digest);
  }

  private async keep(fetch: BlobFetch, ingest: string): Promise<void> {
    try {
      await fetch.fh!.datasync();
      await this.store.commit(ingest, fetch.digest, fetch.written);
    } catch (err) {
      // The clients got their bytes; only the cache misses out.
      this.logger.warn({ digest: fetch.digest, err: (err as Error).message }, 'could not cache a downloaded blob');
      await this.store.discard(ingest).catch((e: Error) => this.logger.warn({ ingest, err: e.message }, 'could not remove an ingest file'));
    }
  }

  private async failed(fetch: BlobFetch, ingest: string, upstream: string, err: unknown): Promise<void> {
    if (errorKind(err) === 'data_loss') {
      this.metrics.inc(Metric.digestMismatch, { upstream });
      this.logger.warn({ digest: fetch.digest, upstream, err: (err as Error).message }, 'upstream sent bad bytes: discarded');
    }
    // Gone before anyone hears of the failure (readers keep reading through the open descriptor).
    await this.store.discard(ingest).catch((e: Error) => this.logger.warn({ ingest, err: e.message }, 'could not remove an ingest file'));
    fetch.finish(err);
  }
}

async function verifyFile(file: string, digest: string): Promise<void> {
  const verifier = new DigestVerifier(digest);
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) verifier.update(chunk as Buffer);
  verifier.verify();
}
