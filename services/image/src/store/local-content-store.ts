import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BerthError, invalidArgument, notFound, withSpan, Attr } from '@berth/kit';
import type { ContentStore, ContentWriter, Expected } from '../domain/content-store.js';
import { KeyedLock } from '../domain/keyed-lock.js';
import { digestMismatch } from '../domain/manifest.js';
import { isDigest } from '../domain/reference.js';

const REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Blobs at `<root>/blobs/sha256/<hex>`; writes go to `<root>/ingest/<ref>` and are renamed into
 * place only after their size and digest check out (fsynced first, so a crash never leaves a
 * torn blob under a digest name). Partial ingests stay for a later resume.
 */
export class LocalContentStore implements ContentStore {
  private readonly locks = new KeyedLock();
  private readonly blobDir: string;
  private readonly ingestDir: string;

  constructor(readonly root: string) {
    this.blobDir = path.join(root, 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'ingest');
  }

  async init(): Promise<void> {
    await mkdir(this.blobDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
  }

  blobPath(digest: string): string {
    if (!isDigest(digest)) throw invalidArgument(`invalid digest ${JSON.stringify(digest)}`);
    return path.join(this.blobDir, digest.slice('sha256:'.length));
  }

  async info(digest: string): Promise<{ size: number } | undefined> {
    try {
      return { size: (await stat(this.blobPath(digest))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async reader(digest: string): Promise<Readable> {
    const fh = await open(this.blobPath(digest), 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? notFound(`content ${digest} not found`) : err;
    });
    return fh.createReadStream();
  }

  async read(digest: string, maxBytes: number): Promise<Buffer> {
    const info = await this.info(digest);
    if (!info) throw notFound(`content ${digest} not found`);
    if (info.size > maxBytes) throw invalidArgument(`content ${digest} is ${info.size} bytes, more than the limit of ${maxBytes}`);
    const fh = await open(this.blobPath(digest), 'r');
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async writer(ref: string, expected: Expected): Promise<ContentWriter> {
    if (!REF.test(ref)) throw invalidArgument(`invalid ingest ref ${JSON.stringify(ref)}`);
    this.blobPath(expected.digest);
    const release = await this.locks.acquire(ref);
    try {
      return await IngestWriter.open(path.join(this.ingestDir, ref), this.blobPath(expected.digest), expected, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  async put(bytes: Buffer, expected: Expected): Promise<void> {
    if (await this.info(expected.digest)) return;
    const w = await this.writer(`put-${expected.digest.slice(7)}`, expected);
    try {
      if (w.offset > 0) {
        await w.discard();
        return await this.put(bytes, expected);
      }
      await w.write(bytes);
      await w.commit();
    } finally {
      await w.close();
    }
  }

  async delete(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  async list(): Promise<string[]> {
    return (await readdir(this.blobDir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}

class IngestWriter implements ContentWriter {
  private done = false;

  private constructor(
    private readonly file: string,
    private readonly target: string,
    private readonly expected: Expected,
    private readonly fh: FileHandle,
    private readonly hash: Hash,
    private written: number,
    readonly offset: number,
    private readonly release: () => void,
  ) {}

  /** Opens the ingest file, re-hashing what an earlier attempt left so the digest covers it. */
  static async open(file: string, target: string, expected: Expected, release: () => void): Promise<IngestWriter> {
    const existing = await stat(file).then((s) => s.size, () => 0);
    if (existing > expected.size) await truncate(file, 0);
    const offset = existing > expected.size ? 0 : existing;
    const hash = createHash('sha256');
    if (offset > 0) for await (const chunk of createReadStream(file, { end: offset - 1 })) hash.update(chunk as Buffer);
    const fh = await open(file, 'a');
    return new IngestWriter(file, target, expected, fh, hash, offset, offset, release);
  }

  readExisting(): Readable {
    if (this.offset === 0) return Readable.from([]);
    return createReadStream(this.file, { start: 0, end: this.offset - 1 });
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new BerthError('failed_precondition', 'write after the ingest was closed');
    if (this.written + chunk.length > this.expected.size) {
      throw new BerthError('data_loss', `content ${this.expected.digest}: more than the expected ${this.expected.size} bytes`);
    }
    await this.fh.write(chunk);
    this.hash.update(chunk);
    this.written += chunk.length;
  }

  async commit(): Promise<void> {
    await withSpan('content.Commit', { [Attr.Digest]: this.expected.digest, [Attr.Bytes]: this.written }, async () => {
      if (this.written !== this.expected.size) {
        await this.discard();
        throw new BerthError('data_loss', `content ${this.expected.digest}: got ${this.written} bytes, expected ${this.expected.size}`);
      }
      const actual = `sha256:${this.hash.digest('hex')}`;
      if (actual !== this.expected.digest) {
        await this.discard();
        throw digestMismatch(`content ${this.expected.digest}`, this.expected.digest, actual);
      }
      await this.fh.sync();
      await this.finish();
      await rename(this.file, this.target);
      await syncDir(path.dirname(this.target));
    });
  }

  async close(): Promise<void> {
    await this.finish();
  }

  async discard(): Promise<void> {
    await this.finish();
    await rm(this.file, { force: true });
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

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
