import { createHash } from 'node:crypto';
import * as tar from 'tar-stream';
import { Readable } from 'node:stream';
import { invalidArgument } from '@berth/kit';
import type { BuildBackend, ImagePathInfo } from './build-backend.js';
import { contextParts } from './build-context.js';
import { hashEntries, planContextCopy, type CopyEntry } from './copy-plan.js';
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
  /** The stage's current image (for --chown user and group names, and the destination). */
  image: string | undefined;
  /** Told the layer paths a context COPY wrote (on a miss, once its layer is packed). */
  written?: (names: string[]) => void;
  /** Paths of an image (absolute), as `BuildBackend.statPaths`; the executor remembers answers. */
  statPaths: (image: string, paths: readonly string[]) => Promise<Map<string, ImagePathInfo | undefined>>;
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
  // Planned with the destination as written: the cache key is then a function of the parent image
  // and the files, and the image is looked at only on a miss (contextLayerTar).
  const entries = await planContextCopy(req.contextDir, req.sources, req.dest, req.kind === 'add');
  const hash = createHash('sha256').update(await hashEntries(entries)).update(metaKey).digest('hex');
  const what = entries.length === 1 && entries[0]!.type === 'file' ? 'file' : entries.some((e) => e.type === 'archive') ? 'archive' : 'dir';
  return { describe: `${upper} ${what}:${hash} in ${req.dest}`, hash, tar: () => contextLayerTar(req, entries, meta) };
}

const destBaseOf = (dest: string) => dest.replace(/^\/+/, '').replace(/\/+$/, '');

/** "a/b/c" → ["a", "a/b"]: the directories above a layer path, parents first. */
function ancestors(name: string): string[] {
  const parts = name.split('/').filter((p) => p !== '');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** What the image has at a destination and the directories above it, by layer path ("a/b"). */
type DestView = Map<string, ImagePathInfo | undefined>;

/**
 * The destination as it is in the stage's image: the layer path the files land at and what the
 * image has there and above. Docker copies into the image's real filesystem, so symlinks along
 * the destination are followed inside the image (moby's FollowSymlinkInScope on the rootfs: an
 * absolute target starts again at the image's `/`, `..` stops there); its layer carries the
 * directories above as the image has them (a COPY into /tmp/x keeps /tmp 1777), and a
 * destination that is a directory there is copied into even without a trailing `/`.
 */
async function lookAtDest(req: CopyRequest): Promise<{ base: string; image: DestView }> {
  const asked = destBaseOf(req.dest);
  if (req.image === undefined || asked === '') return { base: asked, image: new Map() };
  const seen = await statAlong(req, req.image, asked);
  const base = followLinks(asked, seen);
  return { base, image: base === asked ? seen : await statAlong(req, req.image, base) };
}

async function statAlong(req: CopyRequest, imageId: string, base: string): Promise<DestView> {
  const names = base === '' ? [] : [...ancestors(base), base];
  const found = await req.statPaths(imageId, names.map((n) => `/${n}`));
  return new Map(names.map((n) => [n, found.get(`/${n}`)]));
}

/**
 * `base` with its deepest symlink replaced by the link's target. The runtime resolves the
 * directories of every path it is asked about and reports a link's target fully resolved inside
 * the image, so the deepest link along the path says where the whole of it is.
 */
function followLinks(base: string, image: DestView): string {
  let out = base;
  for (const n of [...ancestors(base), base]) {
    const info = image.get(n);
    if (info?.type === 'symlink' && info.linkTarget !== undefined) out = joinPath(destBaseOf(info.linkTarget), base.slice(n.length + 1));
  }
  return out;
}

const joinPath = (a: string, b: string) => [a, b].filter((p) => p !== '').join('/');

/**
 * Entries for the directories above `entries` that the image already has, as it has them. A
 * directory that is an entry itself is left to that entry; below a symlink nothing is added.
 */
function existingParents(entries: readonly CopyEntry[], image: ReadonlyMap<string, ImagePathInfo | undefined>, alsoDirs: readonly string[] = []): CopyEntry[] {
  const own = new Set(entries.map((e) => e.name));
  const wanted = new Set<string>();
  for (const name of [...entries.map((e) => (e.type === 'archive' ? `${e.name}/x` : e.name)), ...alsoDirs.map((d) => `${d}/x`)]) {
    for (const a of ancestors(name)) if (!own.has(a)) wanted.add(a);
  }
  const out: CopyEntry[] = [];
  for (const dir of [...wanted].sort()) {
    if (ancestors(dir).some((a) => image.get(a)?.type === 'symlink')) continue;
    const info = image.get(dir);
    if (info?.type !== 'directory') continue;
    out.push({ name: dir, type: 'directory', mode: info.mode, mtime: info.mtime, size: 0, owner: { uid: info.uid, gid: info.gid } });
  }
  return out;
}

/** The layer of a COPY/ADD from the context, on a cache miss: the destination resolved against the image. */
async function* contextLayerTar(req: CopyRequest, planned: CopyEntry[], meta: CopyMeta): AsyncGenerator<Uint8Array> {
  const asked = destBaseOf(req.dest);
  const { base, image } = await lookAtDest(req);
  let entries = planned;
  const oneFileAsNamed = !req.dest.endsWith('/') && planned.length === 1 && planned[0]!.type === 'file' && planned[0]!.name === asked;
  const intoDir = oneFileAsNamed && image.get(base)?.type === 'directory';
  if (base !== asked || intoDir) {
    entries = await planContextCopy(req.contextDir, req.sources, `/${base}${intoDir || req.dest.endsWith('/') ? '/' : ''}`, req.kind === 'add');
  }
  // The parents carry what the image has: only the entries change what is known of it.
  req.written?.(entries.map((e) => e.name)); // an archive's name: it and all below it
  yield* packEntries([...existingParents(entries, image), ...entries], meta);
}

/** COPY --from: each source archived out of the image and renamed under the destination. */
async function* fromImageTar(backend: BuildBackend, imageId: string, req: CopyRequest, meta: CopyMeta): AsyncGenerator<Uint8Array> {
  if (req.sources.length > 1 && !req.dest.endsWith('/')) {
    throw invalidArgument('When using COPY with more than one source file, the destination must be a directory and end with a /');
  }
  const { base: destBase, image } = await lookAtDest(req);
  const destIsDir = req.dest.endsWith('/') || destBase === '' || image.get(destBase)?.type === 'directory';
  // One tar out: the directories above the destination, then the sources' tars re-packed in turn
  // (each without its end-of-archive blocks).
  const parts: AsyncIterable<Uint8Array>[] = [];
  let intoDir = destIsDir;
  for (const source of req.sources) {
    if (/[*?[]/.test(source)) throw invalidArgument(`COPY --from does not support wildcards in berth's builder: ${source}`);
    const archived = await backend.archivePath(imageId, `/${contextParts(source).join('/')}`, req.signal);
    if (archived.isDirectory) intoDir = true;
    const top = archived.name;
    const rename = (name: string): string | undefined => {
      const clean = name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
      if (archived.isDirectory) {
        if (clean === top || top === '' ) return clean === top ? undefined : joinPath(destBase, clean);
        return clean.startsWith(`${top}/`) ? joinPath(destBase, clean.slice(top.length + 1)) : undefined;
      }
      if (clean !== top) return undefined;
      return destIsDir ? joinPath(destBase, top) : destBase;
    };
    parts.push(repackArchive(archived.tar, rename, meta, false));
  }
  // The directory the copied entries land in (the destination, or the one above a file destination).
  const landing = intoDir ? destBase : (ancestors(destBase).pop() ?? '');
  const parents = existingParents([], image, landing === '' ? [] : [landing]);
  yield* concatTars([packEntries(parents, meta), ...parts]);
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
