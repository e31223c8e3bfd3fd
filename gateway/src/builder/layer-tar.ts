import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { invalidArgument } from '@berth/kit';
import { decompressed } from './archive-file.js';
import type { CopyEntry } from './copy-plan.js';

type Headers = Partial<tar.Header> & Pick<tar.Header, 'name'>;

/** Who owns the copied files (`--chown`, root by default) and their mode (`--chmod`). */
export interface CopyMeta {
  uid: number;
  gid: number;
  /** --chmod: replaces the permission bits of every file and directory copied. */
  mode?: number;
}

/** The layer tar of a COPY/ADD, streamed: files read as they are packed. */
export function packEntries(entries: readonly CopyEntry[], meta: CopyMeta): AsyncIterable<Uint8Array> {
  return packed(async (pack) => {
    for (const e of entries) {
      const mode = e.type !== 'symlink' && meta.mode !== undefined && !e.owner ? meta.mode : e.mode;
      const header: Headers = { name: e.name, mode, uid: e.owner?.uid ?? meta.uid, gid: e.owner?.gid ?? meta.gid, mtime: e.mtime };
      if (e.type === 'directory') await write(pack, { ...header, type: 'directory' });
      else if (e.type === 'symlink') await write(pack, { ...header, type: 'symlink', linkname: e.linkname! });
      else if (e.type === 'file') await write(pack, { ...header, type: 'file', size: e.size }, createReadStream(e.hostPath!));
      else await copyArchive(pack, Readable.from(decompressed(e.hostPath!, e.compression ?? 'none')), (name) => joinUnder(e.name, name), meta, meta.uid === 0 && meta.gid === 0);
    }
  });
}

/**
 * Entries of an archive re-packed under new names (`rename` → undefined drops an entry), for ADD
 * of a local tar and COPY --from. Owners come from `meta` unless `keepOwners` (ADD keeps an
 * archive's owners when no --chown is given, as Docker does).
 */
export function repackArchive(source: AsyncIterable<Uint8Array>, rename: (name: string) => string | undefined, meta: CopyMeta, keepOwners: boolean): AsyncIterable<Uint8Array> {
  return packed((pack) => copyArchive(pack, Readable.from(source), rename, meta, keepOwners));
}

function packed(fill: (pack: tar.Pack) => Promise<void>): AsyncIterable<Uint8Array> {
  const pack = tar.pack();
  fill(pack).then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  return pack as unknown as AsyncIterable<Uint8Array>;
}

async function copyArchive(pack: tar.Pack, source: Readable, rename: (name: string) => string | undefined, meta: CopyMeta, keepOwners: boolean): Promise<void> {
  const extract = tar.extract();
  source.on('error', (err) => extract.destroy(err));
  source.pipe(extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) {
    const h = entry.header;
    const name = rename(h.name);
    if (name === undefined || name === '') {
      entry.resume();
      continue;
    }
    const header: Headers = { ...h, name, ...(keepOwners ? {} : { uid: meta.uid, gid: meta.gid }) };
    if (meta.mode !== undefined && h.type !== 'symlink') header.mode = meta.mode;
    if (h.type === 'link') {
      const target = rename(h.linkname ?? '');
      if (!target) throw invalidArgument(`hard link ${h.name} points outside what is copied`);
      header.linkname = target;
    }
    delete header.pax;
    await write(pack, header, h.type === 'file' || h.type === 'contiguous-file' ? entry : undefined);
    if (h.type !== 'file' && h.type !== 'contiguous-file') entry.resume();
  }
}

function write(pack: tar.Pack, header: Headers, body?: AsyncIterable<unknown>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    if (!body) return;
    void (async () => {
      try {
        for await (const chunk of body) {
          if (!sink.write(chunk as Buffer)) await new Promise<void>((r) => sink.once('drain', () => r()));
        }
        (sink as unknown as { end(): void }).end();
      } catch (err) {
        sink.destroy(err as Error);
        reject(err);
      }
    })();
  });
}

/** The header of a tar's first entry (pax applied), reading no further; undefined for an empty tar. */
export async function firstTarHeader(source: AsyncIterable<Uint8Array>): Promise<tar.Header | undefined> {
  const extract = tar.extract();
  const input = Readable.from(source);
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extract) {
      entry.resume();
      return entry.header;
    }
    return undefined;
  } finally {
    input.unpipe();
    input.destroy();
  }
}

/** `name` of an archive put under `dir`; a name climbing out of it is refused. */
export function joinUnder(dir: string, name: string): string {
  const parts: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) throw invalidArgument(`archive entry ${JSON.stringify(name)} escapes its destination`);
      parts.pop();
    } else parts.push(c);
  }
  return [dir, ...parts].filter((p) => p !== '').join('/');
}
