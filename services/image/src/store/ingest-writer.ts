import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants, open, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Attr, BerthError, withSpan } from '@berth/kit';
import type { ContentWriter, Expected } from '../domain/content-store.js';
import { digestMismatch } from '../domain/manifest.js';
import { syncDir, WRITE_BATCH, writeFully } from './write-fully.js';

/**
 * One ingest file being written. Bytes are copied into a buffer of WRITE_BATCH bytes that is
 * written out whenever it fills (one write per MiB; the caller may reuse its buffers at once, and
 * nothing is allocated per chunk). `commit()` checks size and digest, fsyncs, and renames the file
 * to its blob path; `close()` keeps it for a resume.
 */
export class IngestWriter implements ContentWriter {
  private done = false;
  private hashing = true;
  private readonly batch = Buffer.allocUnsafe(WRITE_BATCH);
  private fill = 0;
  private onDisk: number;

  private constructor(
    readonly path: string,
    private readonly target: string,
    private readonly expected: Expected,
    private readonly fh: FileHandle,
    private readonly hash: Hash,
    private written: number,
    readonly offset: number,
    private readonly release: () => void,
  ) {
    this.onDisk = offset;
  }

  /** Opens the ingest file, re-hashing what an earlier attempt left so the digest covers it. */
  static async open(file: string, target: string, expected: Expected, release: () => void): Promise<IngestWriter> {
    const existing = await stat(file).then((s) => s.size, () => 0);
    if (existing > expected.size) await truncate(file, 0);
    const offset = existing > expected.size ? 0 : existing;
    const hash = createHash('sha256');
    if (offset > 0) for await (const chunk of createReadStream(file, { end: offset - 1 })) hash.update(chunk as Buffer);
    // Written at explicit positions, not appended: bytes of this blob that land late (a registry
    // service's last write into the file for an attempt that already failed, see adopt()) are the
    // blob's own bytes at their own offsets, and cannot shift where this writer's bytes go.
    const fh = await open(file, constants.O_WRONLY | constants.O_CREAT, 0o600);
    return new IngestWriter(file, target, expected, fh, hash, offset, offset, release);
  }

  get flushed(): number {
    return this.onDisk;
  }

  readExisting(): Readable {
    if (this.offset === 0) return Readable.from([]);
    return createReadStream(this.path, { start: 0, end: this.offset - 1 });
  }

  trustSourceDigest(): void {
    if (this.written > 0) throw new BerthError('failed_precondition', 'trustSourceDigest after bytes were written');
    this.hashing = false;
  }

  adopt(total: number): void {
    if (this.done) throw new BerthError('failed_precondition', 'adopt after the ingest was closed');
    if (this.hashing || this.fill > 0) throw new BerthError('failed_precondition', 'adopt needs trustSourceDigest and no buffered bytes');
    if (total < this.onDisk || total > this.expected.size) {
      throw new BerthError('data_loss', `content ${this.expected.digest}: ${total} bytes in the ingest file, expected at most ${this.expected.size} and at least ${this.onDisk}`);
    }
    this.written = this.onDisk = total;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new BerthError('failed_precondition', 'write after the ingest was closed');
    if (this.written + chunk.length > this.expected.size) {
      throw new BerthError('data_loss', `content ${this.expected.digest}: more than the expected ${this.expected.size} bytes`);
    }
    if (this.hashing) this.hash.update(chunk);
    this.written += chunk.length;
    for (let at = 0; at < chunk.length; ) {
      const n = Math.min(chunk.length - at, WRITE_BATCH - this.fill);
      this.batch.set(chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === WRITE_BATCH) await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.fill === 0) return;
    const bytes = this.fill;
    await writeFully(this.fh, [this.batch.subarray(0, bytes)], this.onDisk);
    this.fill = 0;
    this.onDisk += bytes;
  }

  async commit(): Promise<void> {
    await withSpan('content.Commit', { [Attr.Digest]: this.expected.digest, [Attr.Bytes]: this.written }, async () => {
      if (this.written !== this.expected.size) {
        await this.discard();
        throw new BerthError('data_loss', `content ${this.expected.digest}: got ${this.written} bytes, expected ${this.expected.size}`);
      }
      const actual = this.hashing ? `sha256:${this.hash.digest('hex')}` : this.expected.digest;
      if (actual !== this.expected.digest) {
        await this.discard();
        throw digestMismatch(`content ${this.expected.digest}`, this.expected.digest, actual);
      }
      await this.flush();
      await this.fh.sync();
      // Renamed while the ingest lock is held: the next writer of this ref must never see the
      // full file that is about to vanish (it would hash it as a resume and then lose it).
      try {
        await rename(this.path, this.target);
      } finally {
        await this.finish();
      }
      await syncDir(path.dirname(this.target));
    });
  }

  /** Keeps what was written (buffered bytes included) for a later resume; an empty file goes. */
  async close(): Promise<void> {
    if (this.done) return;
    await this.flush().catch(() => undefined); // a failed flush only shortens what a resume reuses
    // Removed while the ingest lock is still held, so it never hits the next writer's file.
    if (this.onDisk === 0) await rm(this.path, { force: true }).catch(() => undefined); // best effort: an empty file is harmless
    await this.finish();
  }

  async discard(): Promise<void> {
    this.fill = 0;
    if (this.done) return;
    try {
      await rm(this.path, { force: true }); // before the lock goes: never another writer's file
    } finally {
      await this.finish();
    }
  }

  private async finish(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await this.fh.close();
    } finally {
      this.release();
    }
  }
}
