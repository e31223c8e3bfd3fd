import { createHash } from 'node:crypto';
import * as tar from 'tar-stream';
import { Readable } from 'node:stream';
import { invalidArgument } from '@berth/kit';
import type { BuildBackend } from './build-backend.js';
import { contextParts } from './build-context.js';
import { hashEntries, planContextCopy } from './copy-plan.js';
import { packEntries, repackArchive, type CopyMeta } from './layer-tar.js';

export interface CopyRequest {
  kind: 'copy' | 'add';
  sources: string[];
  /** Absolute; a trailing `/` marks a directory. */
  dest: string;
  contextDir: string;
  /** COPY --from: resolves the source image (a stage's or a named one). */
  from?: () => Promise<string>;
  chown?: string;
  chmod?: string;
  /** The stage's current image (for --chown user and group names). */
  image: string | undefined;
  signal: AbortSignal | undefined;
}

/** A COPY/ADD, planned: its cache identity and, on a miss, the layer tar. */
export interface CopyLayer {
  /** "COPY dir:<hash> in /app/" — the history text and the cache instruction. */
  describe: string;
  /** What decides the layer's content (file bytes, modes, owners; the source image for --from). */
  hash: string;
  tar(): AsyncIterable<Uint8Array>;
}

const REMOTE = /^(https?|ftp|git):\/\/|^git@/i;

export async function copyLayer(backend: BuildBackend, req: CopyRequest): Promise<CopyLayer> {
  const upper = req.kind.toUpperCase();
  for (const s of req.sources) {
    if (REMOTE.test(s)) throw invalidArgument(`${upper} of a remote URL (${s}) is not supported by berth's builder: download it in a RUN step or into the build context`);
  }
  const meta = await copyMeta(backend, req);
  const metaKey = `${meta.uid}:${meta.gid}:${meta.mode?.toString(8) ?? ''}`;
  if (req.from) {
    const image = await req.from();
    const hash = createHash('sha256').update(JSON.stringify([image, req.sources, req.dest, metaKey])).digest('hex');
    return {
      describe: `${upper} --from=${image} ${req.sources.join(' ')} in ${req.dest}`,
      hash,
      tar: () => fromImageTar(backend, image, req, meta),
    };
  }
  const entries = await planContextCopy(req.contextDir, req.sources, req.dest, req.kind === 'add');
  const hash = createHash('sha256').update(await hashEntries(entries)).update(metaKey).digest('hex');
  const what = entries.length === 1 && entries[0]!.type === 'file' ? 'file' : entries.some((e) => e.type === 'archive') ? 'archive' : 'dir';
  return { describe: `${upper} ${what}:${hash} in ${req.dest}`, hash, tar: () => packEntries(entries, meta) };
}

/** COPY --from: each source archived out of the image and renamed under the destination. */
async function* fromImageTar(backend: BuildBackend, image: string, req: CopyRequest, meta: CopyMeta): AsyncGenerator<Uint8Array> {
  if (req.sources.length > 1 && !req.dest.endsWith('/')) {
    throw invalidArgument('When using COPY with more than one source file, the destination must be a directory and end with a /');
  }
  const destBase = req.dest.replace(/^\/+/, '').replace(/\/+$/, '');
  const join = (a: string, b: string) => [a, b].filter((p) => p !== '').join('/');
  // One tar out: the sources' tars are re-packed in turn (each without its end-of-archive blocks).
  const parts: AsyncIterable<Uint8Array>[] = [];
  for (const source of req.sources) {
    if (/[*?[]/.test(source)) throw invalidArgument(`COPY --from does not support wildcards in berth's builder: ${source}`);
    const archived = await backend.archivePath(image, `/${contextParts(source).join('/')}`, req.signal);
    const top = archived.name;
    const rename = (name: string): string | undefined => {
      const clean = name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
      if (archived.isDirectory) {
        if (clean === top || top === '' ) return clean === top ? undefined : join(destBase, clean);
        return clean.startsWith(`${top}/`) ? join(destBase, clean.slice(top.length + 1)) : undefined;
      }
      if (clean !== top) return undefined;
      return req.dest.endsWith('/') ? join(destBase, top) : destBase;
    };
    parts.push(repackArchive(archived.tar, rename, meta, false));
  }
  yield* concatTars(parts);
}

/** Several tars as one: entries of each, one end-of-archive at the end. */
async function* concatTars(tars: AsyncIterable<Uint8Array>[]): AsyncGenerator<Uint8Array> {
  const pack = tar.pack();
  const filling = (async () => {
    for (const t of tars) {
      const extract = tar.extract();
      Readable.from(t).pipe(extract as unknown as NodeJS.WritableStream);
      for await (const entry of extract) {
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry(entry.header, (err) => (err ? reject(err) : resolve()));
          if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') (entry as unknown as NodeJS.ReadableStream).pipe(sink as unknown as NodeJS.WritableStream);
          else entry.resume();
        });
      }
    }
  })();
  filling.then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  for await (const chunk of pack as unknown as AsyncIterable<Uint8Array>) yield chunk;
  await filling;
}

/** --chown (uid[:gid] or names from the image's /etc/passwd and /etc/group) and --chmod. */
async function copyMeta(backend: BuildBackend, req: CopyRequest): Promise<CopyMeta> {
  const meta: CopyMeta = { uid: 0, gid: 0 };
  if (req.chmod !== undefined) {
    if (!/^[0-7]{3,4}$/.test(req.chmod)) throw invalidArgument(`invalid chmod parameter: ${req.chmod} (only octal modes are supported)`);
    meta.mode = parseInt(req.chmod, 8);
  }
  if (req.chown === undefined || req.chown === '') return meta;
  const [user = '', group] = req.chown.split(':');
  meta.uid = await idOf(backend, req, user, '/etc/passwd');
  meta.gid = group === undefined || group === '' ? (/^\d+$/.test(user) ? meta.uid : await primaryGroup(backend, req, user)) : await idOf(backend, req, group, '/etc/group');
  return meta;
}

async function idOf(backend: BuildBackend, req: CopyRequest, name: string, file: string): Promise<number> {
  if (/^\d+$/.test(name)) return Number(name);
  const line = (await readImageFile(backend, req, file)).find((l) => l.split(':')[0] === name);
  if (!line) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: no ${file === '/etc/passwd' ? 'user' : 'group'} ${name} in ${file}`);
  return Number(line.split(':')[2]);
}

async function primaryGroup(backend: BuildBackend, req: CopyRequest, user: string): Promise<number> {
  const line = (await readImageFile(backend, req, '/etc/passwd')).find((l) => l.split(':')[0] === user);
  return Number(line?.split(':')[3] ?? 0);
}

async function readImageFile(backend: BuildBackend, req: CopyRequest, file: string): Promise<string[]> {
  if (req.image === undefined) throw invalidArgument(`--chown with names needs ${file}, and this stage has no files yet`);
  const archived = await backend.archivePath(req.image, file, req.signal);
  const extract = tar.extract();
  Readable.from(archived.tar).pipe(extract as unknown as NodeJS.WritableStream);
  let text = '';
  for await (const entry of extract) {
    for await (const chunk of entry) text += (chunk as Buffer).toString('utf8');
  }
  return text.split('\n');
}
