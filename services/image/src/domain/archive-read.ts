import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { BerthError, invalidArgument } from '@berth/kit';
import type { ContentStore } from './content-store.js';

/** The top-level documents of docker-archive and OCI layouts; everything else is a blob. */
const DOCUMENTS = new Set(['manifest.json', 'index.json', 'repositories', 'oci-layout']);
/** Legacy (pre-25) docker-archive files no one reads. */
const IGNORED = /(^|\/)(json|VERSION)$/;

export interface ArchiveFiles {
  /** manifest.json, index.json, … (small, in memory). */
  documents: Map<string, Buffer>;
  /** Every other file, stored as a blob: path → what it was stored as. */
  blobs: Map<string, { digest: string; size: number }>;
}

/**
 * Reads an image archive (docker-archive or oci-archive; gzip-compressed or plain) in one pass:
 * documents into memory (at most `maxDocumentBytes` each), every other file into the content store
 * under its computed digest, so a file named `blobs/sha256/<hex>` must hash to `<hex>`. Nothing is
 * written by path: the archive's names are only keys. Symlinks (legacy archives link repeated
 * layers) resolve to the file they name, within the archive.
 */
export async function readArchive(content: ContentStore, source: AsyncIterable<Uint8Array>, maxDocumentBytes: number, signal: AbortSignal): Promise<ArchiveFiles> {
  try {
    return await read(content, source, maxDocumentBytes, signal);
  } catch (err) {
    // tar and gzip parse errors are the archive's fault, not ours.
    if (err instanceof BerthError) throw err;
    throw invalidArgument(`not a valid image archive: ${(err as Error).message}`, err);
  }
}

async function read(content: ContentStore, source: AsyncIterable<Uint8Array>, maxDocumentBytes: number, signal: AbortSignal): Promise<ArchiveFiles> {
  const files: ArchiveFiles = { documents: new Map(), blobs: new Map() };
  const links = new Map<string, string>();
  const extract = tar.extract();
  const input = Readable.from(maybeGunzip(source));
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract as unknown as NodeJS.WritableStream);
  for await (const e of extract) {
    signal.throwIfAborted();
    const name = path.posix.normalize(e.header.name).replace(/^(\.\/)+|^\/+/, '').replace(/\/$/, '');
    if (e.header.type === 'symlink' && e.header.linkname) {
      links.set(name, path.posix.normalize(path.posix.join(path.posix.dirname(name), e.header.linkname)));
    } else if ((e.header.type ?? 'file') === 'file' && DOCUMENTS.has(name)) {
      files.documents.set(name, await readAll(e, maxDocumentBytes, name));
      continue;
    } else if ((e.header.type ?? 'file') === 'file' && !IGNORED.test(name)) {
      const stored = await content.putStream(e as AsyncIterable<Uint8Array>);
      const hex = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name)?.[1];
      if (hex && stored.digest !== `sha256:${hex}`) throw new BerthError('data_loss', `archive file ${name} hashes to ${stored.digest}`);
      files.blobs.set(name, stored);
      continue;
    }
    for await (const chunk of e) void chunk;
  }
  for (const [link, target] of links) {
    const stored = files.blobs.get(target);
    if (stored) files.blobs.set(link, stored);
  }
  return files;
}

async function readAll(body: AsyncIterable<unknown>, max: number, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) throw invalidArgument(`archive file ${name} is larger than ${max} bytes`);
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** Passes a plain tar through; a gzip-compressed one (magic 1f 8b) is decompressed. */
async function* maybeGunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.length === 0) first = await it.next();
  if (first.done) return;
  const rest = (async function* () {
    yield first.value!;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  })();
  if (first.value[0] !== 0x1f || first.value[1] !== 0x8b) return yield* rest;
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  Readable.from(rest).on('error', (err) => gunzip.destroy(err)).pipe(gunzip);
  for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
}
