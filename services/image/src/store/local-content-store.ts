import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { invalidArgument, notFound } from '@berth/kit';
import type { ContentStore, ContentWriter, Expected } from '../domain/content-store.js';
import { KeyedLock } from '../domain/keyed-lock.js';
import { isDigest } from '../domain/reference.js';
import { layerCompression } from '../domain/manifest.js';
import { IngestWriter } from './ingest-writer.js';
import { decompressor } from './layer-unpacker.js';
import { putStream } from './put-stream.js';

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

  async info(digest: string): Promise<{ size: number; modifiedAt: number } | undefined> {
    try {
      const st = await stat(this.blobPath(digest));
      return { size: st.size, modifiedAt: st.mtimeMs };
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

  async openUncompressed(digest: string, mediaType: string, signal?: AbortSignal): Promise<Readable> {
    const blob = await this.reader(digest);
    const d = decompressor(layerCompression(mediaType), signal);
    const out = pipeline(blob, d.stream, (err) => {
      if (err) out.destroy(err);
    }) as Readable;
    d.done.catch((err: Error) => out.destroy(err));
    return out;
  }

  putStream(source: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
    return putStream(this.ingestDir, this.blobDir, source);
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
      if (await this.info(expected.digest)) return await w.discard(); // a writer before us committed it
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

  async ingests(): Promise<Array<{ ref: string; size: number; modifiedAt: number }>> {
    const out: Array<{ ref: string; size: number; modifiedAt: number }> = [];
    for (const ref of await readdir(this.ingestDir)) {
      const st = await stat(path.join(this.ingestDir, ref)).catch(() => undefined); // gone meanwhile: a writer committed it
      if (st?.isFile()) out.push({ ref, size: st.size, modifiedAt: st.mtimeMs });
    }
    return out;
  }

  async abortIngest(ref: string): Promise<void> {
    if (!REF.test(ref)) throw invalidArgument(`invalid ingest ref ${JSON.stringify(ref)}`);
    const release = await this.locks.acquire(ref);
    try {
      await rm(path.join(this.ingestDir, ref), { force: true });
    } finally {
      release();
    }
  }

  async list(): Promise<string[]> {
    return (await readdir(this.blobDir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
