import { constants, type Stats } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar-stream';
import { BerthError, runCommand } from '@berth/kit';
import { resolveInRoot } from '../oci/rootfs-path.js';
import { lstatOrUndefined } from './overlay-changes.js';

export interface UnpackOptions {
  /** The container's rootfs on the host. */
  root: string;
  /** The directory to extract into, as a container path (must exist). */
  dest: string;
  /** Refuse to replace a directory with a non-directory, or a non-directory with a directory. */
  noOverwriteDirNonDir: boolean;
  /** Keep the tar's owners; otherwise everything belongs to the container's root (Docker's default). */
  copyUidGid: boolean;
  signal?: AbortSignal;
  /** Called with each entry's host path before it is written; throws to refuse it. */
  guard?(hostPath: string): void;
}

const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
type Body = AsyncIterable<unknown>;

/**
 * Extracts a tar into a container's directory (`docker cp` to a container). Nothing lands outside
 * the rootfs: entry names are cleaned lexically (a ".." above the destination is refused, "/abs"
 * is made relative), every entry's parent is resolved through resolveInRoot (symlinks in the
 * container are followed as if chrooted, so `/etc/x -> /../../host` stays in the rootfs), the
 * entry itself is created O_EXCL|O_NOFOLLOW after whatever was there is removed (never written
 * through), and hard links must name something inside the rootfs. Device nodes are skipped (a
 * container's /dev is the runtime's). The caller keeps the tree still (frozen or stopped).
 */
export async function unpackTar(source: AsyncIterable<Uint8Array>, o: UnpackOptions): Promise<{ skipped: number }> {
  const u = new Unpacker(o);
  const extract = tar.extract();
  const feeding = feed(source, extract);
  feeding.catch((err: Error) => extract.destroy(err));
  try {
    for await (const entry of extract) {
      o.signal?.throwIfAborted();
      await u.apply(entry.header, entry);
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    await feeding.catch(() => undefined); // the entry's own failure is the one to report
    throw err;
  }
  await u.finish();
  return { skipped: u.skipped };
}

async function feed(source: AsyncIterable<Uint8Array>, extract: tar.Extract): Promise<void> {
  for await (const chunk of source) {
    if (extract.destroyed) throw new BerthError('cancelled', 'tar parser stopped');
    if (!extract.write(Buffer.from(chunk))) {
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
  if (!extract.destroyed) (extract as unknown as { end(): void }).end(); // streamx types demand an argument end() does not need
}

/** Cleans a tar entry name into parts below the destination; refuses one that climbs above it. */
export function entryParts(name: string, what = 'tar entry'): string[] {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length === 0) throw new BerthError('invalid_argument', `${what} ${JSON.stringify(name)} points outside the destination`);
      parts.pop();
      continue;
    }
    if (p.includes('\0')) throw new BerthError('invalid_argument', `${what} ${JSON.stringify(name)} is invalid`);
    parts.push(p);
  }
  return parts;
}

class Unpacker {
  skipped = 0;
  private readonly dirs: Array<{ path: string; mtime: Date }> = [];

  constructor(private readonly o: UnpackOptions) {}

  async apply(h: Partial<tar.Header> & Pick<tar.Header, 'name'>, body: Body): Promise<void> {
    const parts = entryParts(h.name);
    const type = h.type ?? 'file';
    if (type !== 'file' && type !== 'contiguous-file') await drain(body);
    if (parts.length === 0) return; // "./": the destination itself is left as it is
    const leaf = await this.leaf(parts);
    this.o.guard?.(leaf);
    const existing = await lstatOrUndefined(leaf);
    switch (type) {
      case 'directory':
        if (!existing?.isDirectory()) {
          await this.clear(leaf, existing, true, h.name);
          await mkdir(leaf, { mode: 0o700 });
        }
        await this.meta(leaf, h, false, true);
        this.dirs.push({ path: leaf, mtime: h.mtime ?? new Date() });
        return;
      case 'file':
      case 'contiguous-file': {
        await this.clear(leaf, existing, false, h.name);
        const fh = await open(leaf, FILE_FLAGS, 0o600);
        try {
          for await (const chunk of body) {
            const buf = chunk as Buffer;
            for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
          }
        } finally {
          await fh.close();
        }
        return this.meta(leaf, h, false);
      }
      case 'symlink':
        if (!h.linkname) throw new BerthError('invalid_argument', `symlink ${JSON.stringify(h.name)} has no target`);
        await this.clear(leaf, existing, false, h.name);
        await symlink(h.linkname, leaf); // resolved later as if chrooted, by us and by the kernel in the container
        return this.meta(leaf, h, true);
      case 'link': {
        const target = await this.leaf(entryParts(h.linkname ?? '', 'hard link target'), false);
        const st = await lstatOrUndefined(target);
        if (!st || st.isDirectory()) throw new BerthError('invalid_argument', `hard link ${JSON.stringify(h.name)}: no file ${JSON.stringify(h.linkname)} to link to`);
        if (target === leaf) return;
        await this.clear(leaf, existing, false, h.name);
        await link(target, leaf); // link(2) does not follow a symlink target
        return;
      }
      case 'fifo':
        await this.clear(leaf, existing, false, h.name);
        await runCommand('mknod', ['-m', '0600', leaf, 'p'], { timeoutMs: 10_000 });
        return this.meta(leaf, h, false);
      default:
        this.skipped++; // devices, and what tar-stream does not know
    }
  }

  /**
   * The host path for the entry at `parts` below the destination: its parent resolved in the
   * container (made when missing), the last element appended unresolved.
   */
  private async leaf(parts: string[], makeParents = true): Promise<string> {
    if (parts.length === 0) throw new BerthError('invalid_argument', 'empty tar entry name');
    const parentPath = path.posix.join(this.o.dest, ...parts.slice(0, -1));
    const parent = await resolveInRoot(this.o.root, parentPath);
    if (makeParents) {
      const st = await lstatOrUndefined(parent);
      if (!st) await mkdir(parent, { recursive: true, mode: 0o755 }).catch((err: unknown) => notADirectory(parentPath, err));
      else if (!st.isDirectory()) notADirectory(parentPath);
    }
    return path.join(parent, parts[parts.length - 1]!);
  }

  /** Makes room for a new entry at `leaf` (a directory entry keeps an existing directory). */
  private async clear(leaf: string, existing: Stats | undefined, isDir: boolean, name: string): Promise<void> {
    if (!existing) return;
    if (this.o.noOverwriteDirNonDir && existing.isDirectory() !== isDir) {
      throw new BerthError('invalid_argument', isDir
        ? `cannot overwrite non-directory ${JSON.stringify(name)} with directory`
        : `cannot overwrite directory ${JSON.stringify(name)} with non-directory`);
    }
    if (existing.isDirectory()) await rm(leaf, { recursive: true, force: true });
    else await unlink(leaf);
  }

  private async meta(p: string, h: Partial<tar.Header> & Pick<tar.Header, 'name'>, isSymlink: boolean, deferMtime = false): Promise<void> {
    const uid = this.o.copyUidGid ? h.uid ?? 0 : 0;
    const gid = this.o.copyUidGid ? h.gid ?? 0 : 0;
    await lchown(p, uid, gid);
    if (!isSymlink) await chmod(p, (h.mode ?? 0o644) & 0o7777); // after chown, which clears setuid/setgid
    if (!deferMtime) {
      const mtime = h.mtime ?? new Date();
      await lutimes(p, mtime, mtime);
    }
  }

  async finish(): Promise<void> {
    for (const d of this.dirs.reverse()) {
      if ((await lstatOrUndefined(d.path))?.isDirectory()) await lutimes(d.path, d.mtime, d.mtime);
    }
  }
}

function notADirectory(p: string, cause?: unknown): never {
  throw new BerthError('invalid_argument', `${p} is not a directory in the container`, cause ? { cause } : undefined);
}

async function drain(body: Body): Promise<void> {
  for await (const chunk of body) void chunk;
}
