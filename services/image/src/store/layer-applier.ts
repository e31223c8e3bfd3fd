import { chmodSync, closeSync, constants, copyFileSync, lchownSync, linkSync, lutimesSync, mkdirSync, openSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { BerthError, invalidArgument } from '@berth/kit/errors';
import { findInLowers } from './lower-lookup.js';
import { OVERLAY_OPAQUE, type NodeTools } from './node-tools.js';
import { entryParts, isWhiteout, lstatOrUndefinedSync, SnapshotTree } from './snapshot-tree.js';
import { writeBody } from './write-fully.js';

export interface ApplyOptions {
  /** The layer's own directory (empty when the apply starts). */
  root: string;
  /** Directories of the layers below, topmost first; awaited only when a hard link needs them. */
  lowers(): Promise<readonly string[]>;
  tools: NodeTools;
  signal?: AbortSignal;
  /**
   * Char and block devices other than 0/0 (an overlay whiteout): 'skip' (the default) leaves them
   * out, as Docker does in rootless and userns-remap modes; 'create' makes them (mknod). A device
   * node is never needed from an image: a container's /dev is the runtime's own tmpfs.
   */
  devices?: 'skip' | 'create';
}

type Header = tar.Header;
/** An entry's body: a streamx Readable (tar-stream's streams are not Node streams). */
type Body = AsyncIterable<unknown>;

interface Meta {
  uid: number;
  gid: number;
  mode: number;
  mtime: Date;
}

/** A hard link whose target is not in this layer: copied from a lower layer at the end. */
interface LowerLink {
  parts: string[];
  target: string[];
  name: string;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Applies one layer tar to its own snapshot directory, overlay style: `.wh.x` becomes a char
 * device 0/0 at `x`, `.wh..wh..opq` the `trusted.overlay.opaque=y` xattr on its directory. No
 * entry can land outside `root`: names are cleaned lexically ("../" above the root is refused,
 * "/abs" is made relative), every parent is walked with lstat and a symlink among them is
 * refused, hard links must name a file of this layer or of a lower one (which is then copied,
 * since each layer is its own directory). Returns the bytes of regular files written.
 *
 * Filesystem calls are synchronous: the applier runs on an unpack worker's own thread
 * (worker-unpacker.ts), where a syscall done in place costs a fraction of one sent to the thread
 * pool and back: the busybox layer (~270 symlinks) took ~300 ms of CPU with fs/promises, mostly
 * thread-pool hand-offs and wake-ups, and takes ~80 ms now (GNU tar: ~120 ms; symlink creation
 * itself is the bulk). Only the bytes of a file are awaited, as they arrive.
 */
export async function applyLayerTar(source: Readable, options: ApplyOptions): Promise<{ size: number; skippedDevices: number }> {
  const applier = new LayerApplier(options);
  const extract = tar.extract();
  const feeding = feed(source, extract);
  feeding.catch((err: Error) => extract.destroy(err));
  try {
    for await (const entry of extract) {
      options.signal?.throwIfAborted();
      await applier.apply(entry.header, entry);
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    source.destroy();
    // The entry's own failure is the one to report; the torn-down feed only echoes it.
    await feeding.catch(() => undefined);
    throw err;
  }
  await applier.finish();
  return { size: applier.size, skippedDevices: applier.skippedDevices };
}

/** Writes the tar bytes into the parser with backpressure; the whole input is read, trailing padding too. */
async function feed(source: Readable, extract: tar.Extract): Promise<void> {
  for await (const chunk of source) {
    if (extract.destroyed) throw new BerthError('cancelled', 'tar parser stopped');
    if (!extract.write(chunk as Buffer)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          extract.off('drain', done);
          extract.off('close', done);
          resolve();
        };
        extract.on('drain', done);
        extract.on('close', done);
      });
    }
  }
  // streamx types demand an argument that its end() does not need.
  if (!extract.destroyed) (extract as unknown as { end(): void }).end();
}

class LayerApplier {
  size = 0;
  skippedDevices = 0;
  private readonly tree: SnapshotTree;
  private readonly dirs: Array<{ path: string; mtime: Date }> = [];
  private readonly lowerLinks = new Map<string, LowerLink>();

  constructor(private readonly options: ApplyOptions) {
    this.tree = new SnapshotTree(options.root);
  }

  async apply(h: Header, body: Body): Promise<void> {
    const parts = entryParts(h.name);
    const base = parts[parts.length - 1] ?? '';
    if (base.startsWith(WHITEOUT_PREFIX)) {
      await drain(body);
      return this.whiteout(parts, h.name);
    }
    const meta = metaOf(h);
    switch (h.type ?? 'file') {
      case 'file':
      case 'contiguous-file': {
        const path = this.leaf(parts, false);
        const fd = openSync(path, FILE_FLAGS, 0o600);
        try {
          await writeBody(fd, body);
        } finally {
          closeSync(fd);
        }
        this.size += h.size ?? 0;
        return this.setMeta(path, meta, false);
      }
      case 'directory': {
        await drain(body);
        const path = this.leaf(parts, true);
        if (lstatOrUndefinedSync(path) === undefined) mkdirSync(path);
        this.tree.ensureDir(parts);
        this.setMeta(path, meta, false, true);
        this.dirs.push({ path, mtime: meta.mtime });
        return;
      }
      case 'symlink': {
        await drain(body);
        if (!h.linkname) throw invalidArgument(`symlink ${JSON.stringify(h.name)} has no target`);
        const path = this.leaf(parts, false);
        symlinkSync(h.linkname, path);
        return this.setMeta(path, meta, true);
      }
      case 'link':
        await drain(body);
        return this.hardlink(parts, h);
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        await drain(body);
        const kind = h.type === 'fifo' ? 'p' : h.type === 'block-device' ? 'b' : 'c';
        const whiteout = kind === 'c' && !h.devmajor && !h.devminor;
        if (kind !== 'p' && !whiteout && (this.options.devices ?? 'skip') === 'skip') {
          this.skippedDevices++;
          return;
        }
        const path = this.leaf(parts, false);
        await this.options.tools.mknod(path, kind, h.devmajor ?? 0, h.devminor ?? 0);
        return this.setMeta(path, meta, false);
      }
      default:
        throw invalidArgument(`tar entry ${JSON.stringify(h.name)} has the unsupported type ${String(h.type)}`);
    }
  }

  /** Hard links in this layer are linked; those to lower layers are copied in `finish()`. */
  private async hardlink(parts: string[], h: Header): Promise<void> {
    const target = entryParts(h.linkname ?? '', 'hard link target');
    if (target.length === 0) throw invalidArgument(`hard link ${JSON.stringify(h.name)} has no valid target`);
    const targetRel = target.join('/');
    if (targetRel === parts.join('/')) return;
    const here = this.tree.lookup(target);
    if (here !== undefined && !isWhiteout(here.stat)) {
      if (here.stat.isDirectory()) throw invalidArgument(`hard link ${JSON.stringify(h.name)} points at a directory`);
      const path = this.leaf(parts, false);
      linkSync(here.path, path);
      return;
    }
    if (here !== undefined) throw invalidArgument(`hard link ${JSON.stringify(h.name)}: target ${JSON.stringify(h.linkname)} was deleted`);
    this.leaf(parts, false);
    const viaPending = this.lowerLinks.get(targetRel);
    this.lowerLinks.set(parts.join('/'), { parts, target: viaPending?.target ?? target, name: h.name });
  }

  /** `.wh.<name>` → whiteout device at `<name>`; `.wh..wh..opq` → opaque parent directory. */
  private async whiteout(parts: string[], name: string): Promise<void> {
    const base = parts[parts.length - 1]!;
    const dirParts = parts.slice(0, -1);
    if (base === OPAQUE_MARKER) {
      const dir = this.tree.ensureDir(dirParts);
      await this.options.tools.setXattr(dir, OVERLAY_OPAQUE, Buffer.from('y'));
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // aufs metadata (.wh..wh.plnk …)
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw invalidArgument(`invalid whiteout ${JSON.stringify(name)}`);
    this.tree.ensureDir(dirParts);
    const path = this.tree.abs([...dirParts, victim]);
    // Whiteouts delete from the layers below; an entry of this very layer at the path wins.
    if (lstatOrUndefinedSync(path) !== undefined || this.lowerLinks.has([...dirParts, victim].join('/'))) return;
    await this.options.tools.mknod(path, 'c', 0, 0);
  }

  /**
   * The absolute path for a new entry, its parents made real directories. Whatever this layer
   * already had there is removed, except a directory that a directory entry updates.
   */
  private leaf(parts: string[], isDir: boolean): string {
    if (parts.length === 0) {
      if (isDir) return this.options.root;
      throw invalidArgument('tar entry names the layer root but is not a directory');
    }
    const rel = parts.join('/');
    this.tree.ensureDir(parts.slice(0, -1));
    const path = this.tree.abs(parts);
    const st = lstatOrUndefinedSync(path);
    this.lowerLinks.delete(rel);
    if (st === undefined || (isDir && st.isDirectory())) return path;
    if (st.isDirectory()) {
      rmSync(path, { recursive: true, force: true });
      this.tree.forget(rel);
      for (const key of this.lowerLinks.keys()) if (key.startsWith(`${rel}/`)) this.lowerLinks.delete(key);
    } else {
      unlinkSync(path);
    }
    return path;
  }

  private setMeta(path: string, meta: Meta, isSymlink: boolean, deferMtime = false): void {
    lchownSync(path, meta.uid, meta.gid);
    // chmod after chown: chown clears setuid/setgid bits.
    if (!isSymlink) chmodSync(path, meta.mode);
    if (!deferMtime) lutimesSync(path, meta.mtime, meta.mtime);
  }

  /** Copies hard links to lower layers (once those are committed), then sets directory mtimes. */
  async finish(): Promise<void> {
    if (this.lowerLinks.size > 0) await this.copyLowerLinks([...this.lowerLinks.values()]);
    for (const d of this.dirs.reverse()) {
      // A later entry may have replaced the directory (or one above it): skip what is gone.
      if (lstatOrUndefinedSync(d.path)?.isDirectory()) lutimesSync(d.path, d.mtime, d.mtime);
    }
  }

  private async copyLowerLinks(links: LowerLink[]): Promise<void> {
    const lowers = await this.options.lowers();
    const copies = new Map<string, string>();
    for (const l of links) {
      const key = l.target.join('/');
      const dest = this.leaf(l.parts, false);
      const first = copies.get(key);
      if (first !== undefined) {
        linkSync(first, dest);
        continue;
      }
      const src = await findInLowers(lowers, l.target, this.options.tools);
      if (src === undefined) {
        throw invalidArgument(`hard link ${JSON.stringify(l.name)}: target ${JSON.stringify(key)} is not in this layer or below`);
      }
      if (src.stat.isSymbolicLink()) symlinkSync(readlinkSync(src.path), dest);
      else if (src.stat.isFile()) copyFileSync(src.path, dest, constants.COPYFILE_EXCL);
      else throw new BerthError('invalid_argument', `hard link ${JSON.stringify(l.name)}: target ${JSON.stringify(key)} is not a file`);
      const meta = { uid: src.stat.uid, gid: src.stat.gid, mode: src.stat.mode & 0o7777, mtime: src.stat.mtime };
      this.setMeta(dest, meta, src.stat.isSymbolicLink());
      this.size += src.stat.isFile() ? src.stat.size : 0;
      copies.set(key, dest);
    }
  }
}

function metaOf(h: Header): Meta {
  const pax = (h.pax ?? {}) as Record<string, string | undefined>;
  const int = (v: string | undefined, fallback: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : fallback);
  const paxTime = pax['mtime'] !== undefined && /^-?\d+(\.\d+)?$/.test(pax['mtime']) ? new Date(Number(pax['mtime']) * 1000) : undefined;
  return {
    uid: int(pax['uid'], h.uid ?? 0),
    gid: int(pax['gid'], h.gid ?? 0),
    mode: (h.mode ?? 0o644) & 0o7777,
    mtime: paxTime ?? h.mtime ?? new Date(0),
  };
}

async function drain(body: Body): Promise<void> {
  for await (const chunk of body) void chunk;
}
