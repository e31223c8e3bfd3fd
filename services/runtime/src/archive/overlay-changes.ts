import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { OverlayLayers } from './overlay-layers.js';

/** Docker's change kinds (`docker diff`: C, A, D). */
export const ChangeKind = { Modified: 0, Added: 1, Deleted: 2 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface Change {
  path: string;
  kind: ChangeKind;
}

export interface ChangesOptions extends OverlayLayers {
  /** Whether a layer's directory is opaque (trusted.overlay.opaque=y). */
  isOpaque(dir: string): Promise<boolean>;
  /** Container paths left out with everything below them (mount points the runtime made). */
  skip?(containerPath: string): boolean;
}

/**
 * The changes of an overlay upper dir against its lowers, in Docker's order (depth first, names
 * sorted, a directory before its contents):
 * - a whiteout (char device 0/0) is a deletion;
 * - anything else not visible in the lowers is an addition;
 * - a non-directory visible in the lowers is a modification;
 * - a directory visible in the lowers is a modification when it is opaque (its contents were
 *   replaced), its type, mode or owner changed, or anything below it changed (Docker lists the
 *   parents of changes). A directory copied up only for a skipped mount point is not listed.
 * Nothing is followed: symlinks are entries like any other.
 */
export async function overlayChanges(o: ChangesOptions): Promise<Change[]> {
  const out: Change[] = [];
  await walk(o, '/', o.lowers, out);
  return out;
}

async function walk(o: ChangesOptions, dir: string, visible: string[], out: Change[]): Promise<void> {
  const names = (await readdir(path.join(o.upper, dir))).sort();
  for (const name of names) {
    const p = path.posix.join(dir, name);
    if (o.skip?.(p)) continue;
    const st = await lstat(path.join(o.upper, p));
    if (isWhiteout(st)) {
      out.push({ path: p, kind: ChangeKind.Deleted });
      continue;
    }
    const lower = await lowerEntry(visible, p);
    if (!st.isDirectory()) {
      out.push({ path: p, kind: lower ? ChangeKind.Modified : ChangeKind.Added });
      continue;
    }
    const opaque = await o.isOpaque(path.join(o.upper, p));
    const below = opaque || !lower?.isDirectory() ? [] : await visibleBelow(o, visible, p);
    const inner: Change[] = [];
    await walk(o, p, below, inner);
    if (!lower) {
      out.push({ path: p, kind: ChangeKind.Added }, ...inner);
      continue;
    }
    const differs = opaque || !lower.isDirectory() || (lower.mode & 0o7777) !== (st.mode & 0o7777) || lower.uid !== st.uid || lower.gid !== st.gid;
    if (differs || inner.length > 0) out.push({ path: p, kind: ChangeKind.Modified });
    out.push(...inner);
  }
}

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** lstat, or undefined when nothing is there (ENOTDIR: a parent is not a directory). */
export async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** What the lowers show at `p` (the topmost entry), undefined when absent or whited out. */
async function lowerEntry(visible: string[], p: string): Promise<Stats | undefined> {
  for (const layer of visible) {
    const st = await lstatOrUndefined(path.join(layer, p));
    if (!st) continue;
    return isWhiteout(st) ? undefined : st;
  }
  return undefined;
}

/** The lowers whose directory `p` is visible in the merged view (an opaque or non-directory entry hides those below). */
async function visibleBelow(o: ChangesOptions, visible: string[], p: string): Promise<string[]> {
  const out: string[] = [];
  for (const layer of visible) {
    const st = await lstatOrUndefined(path.join(layer, p));
    if (!st) continue;
    if (!st.isDirectory()) break;
    out.push(layer);
    if (await o.isOpaque(path.join(layer, p))) break;
  }
  return out;
}
