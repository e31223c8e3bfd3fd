import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/kit';
import { resolveInRoot } from '../oci/rootfs-path.js';

/** A path of a container resolved on the host. */
export interface ResolvedPath {
  /** The path as asked, absolute and clean, a trailing "/" or "/." kept (Docker's PreserveTrailingDotOrSeparator). */
  abs: string;
  /** Where it is under the rootfs: every element but the last resolved as if chrooted; the last one not followed. */
  host: string;
}

/** Docker's path stat (ContainerPathStat): mode is st_mode here, the gateway speaks Go's FileMode. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: Date;
  /** A symlink's target fully resolved in the container, absolute; "" otherwise. */
  linkTarget: string;
}

/**
 * Resolves a container path as moby's ResolvePath: the directory part through resolveInRoot
 * (symlinks followed, but never out of `root`: absolute targets and ".." stop at the rootfs), the
 * last element appended as it is, so that a symlink there is archived as a symlink.
 */
export async function resolveContainerPath(root: string, asked: string): Promise<ResolvedPath> {
  if (asked === '') throw new BerthError('invalid_argument', 'no path given');
  if (asked.includes('\0')) throw new BerthError('invalid_argument', 'invalid path');
  const abs = preserveTrailing(path.posix.join('/', asked), asked);
  const slash = abs.lastIndexOf('/');
  const base = abs.slice(slash + 1);
  const dir = await resolveInRoot(root, abs.slice(0, slash + 1));
  const host = base === '' || base === '.' ? dir : path.join(dir, base);
  return { abs, host };
}

function preserveTrailing(clean: string, original: string): string {
  if (!clean.endsWith('/') && (original.endsWith('/.') || original === '.')) return `${clean === '/' ? '' : clean}/.`;
  if (!clean.endsWith('/') && original.endsWith('/')) return `${clean}/`;
  return clean;
}

/** Go's filepath.Base: the last element, trailing slashes ignored; "/" for the root. */
export function baseName(abs: string): string {
  const trimmed = abs.replace(/\/+$/, '');
  return trimmed === '' ? '/' : path.posix.basename(trimmed);
}

/** Stats a resolved path (not following a symlink at its end); not_found as Docker words it. */
export async function statContainerPath(root: string, r: ResolvedPath, containerId: string): Promise<{ stat: PathStat; st: Stats }> {
  const st = await lstat(r.host).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new BerthError('not_found', `Could not find the file ${r.abs} in container ${containerId}`);
    throw err;
  });
  let linkTarget = '';
  if (st.isSymbolicLink()) linkTarget = `/${path.relative(root, await resolveInRoot(root, r.abs))}`;
  return { stat: { name: baseName(r.abs), size: st.size, mode: st.mode, mtime: st.mtime, linkTarget }, st };
}
