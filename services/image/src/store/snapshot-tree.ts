import { chmodSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument } from '@berth/kit/errors';

/**
 * Splits an untrusted tar entry name into clean components: leading "/" and "./" dropped, "."
 * and empty parts skipped, ".." resolved lexically and refused when it would climb above the
 * root. Never touches the filesystem.
 */
export function entryParts(name: string, what = 'tar entry'): string[] {
  if (name.includes('\0')) throw invalidArgument(`${what} ${JSON.stringify(name)} contains a NUL byte`);
  const parts: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) throw invalidArgument(`${what} ${JSON.stringify(name)} escapes the layer root`);
      parts.pop();
      continue;
    }
    parts.push(c);
  }
  return parts;
}

/** lstat, or undefined when nothing is there (ENOTDIR: a parent is no longer a directory). */
export async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** lstatOrUndefined, synchronously (no exception is made for a missing path). */
export function lstatOrUndefinedSync(p: string): Stats | undefined {
  try {
    return lstatSync(p, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** A char device 0/0: the overlay form of a whiteout. */
export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/**
 * A snapshot directory walked component by component with lstat, so no symlink, whether planted
 * by an earlier entry of the same layer or present from the start, ever redirects a path. Real
 * directories already checked are remembered until something under them is replaced.
 * Synchronous: it serves the layer applier, which runs on an unpack worker's own thread (see
 * layer-applier.ts).
 */
export class SnapshotTree {
  private readonly knownDirs = new Set<string>(['']);

  constructor(readonly root: string) {}

  abs(parts: readonly string[]): string {
    return path.join(this.root, ...parts);
  }

  /** Makes every component a real directory inside the root (creating missing ones 0755). */
  ensureDir(parts: readonly string[]): string {
    let rel = '';
    for (const c of parts) {
      rel = rel === '' ? c : `${rel}/${c}`;
      if (this.knownDirs.has(rel)) continue;
      const p = path.join(this.root, rel);
      const st = lstatOrUndefinedSync(p);
      if (st === undefined) {
        mkdirSync(p);
        chmodSync(p, 0o755);
      } else if (st.isSymbolicLink()) {
        throw invalidArgument(`path ${JSON.stringify(parts.join('/'))} goes through the symlink ${JSON.stringify(rel)}`);
      } else if (!st.isDirectory()) {
        throw invalidArgument(`path ${JSON.stringify(parts.join('/'))} goes through the non-directory ${JSON.stringify(rel)}`);
      }
      this.knownDirs.add(rel);
    }
    return path.join(this.root, ...parts);
  }

  /**
   * The lstat of `parts` if it exists in this tree, without creating anything. A symlink among
   * the parents is refused; a missing or non-directory parent means "not here".
   */
  lookup(parts: readonly string[]): { path: string; stat: Stats } | undefined {
    let dir = this.root;
    for (const [i, c] of parts.entries()) {
      const p = path.join(dir, c);
      const st = lstatOrUndefinedSync(p);
      if (st === undefined) return undefined;
      if (i === parts.length - 1) return { path: p, stat: st };
      if (st.isSymbolicLink()) {
        throw invalidArgument(`path ${JSON.stringify(parts.join('/'))} goes through the symlink ${JSON.stringify(parts.slice(0, i + 1).join('/'))}`);
      }
      if (!st.isDirectory()) return undefined;
      dir = p;
    }
    return { path: this.root, stat: lstatSync(this.root) };
  }

  /** Forgets `rel` and everything under it (it was removed or replaced). */
  forget(rel: string): void {
    for (const d of this.knownDirs) if (d === rel || d.startsWith(`${rel}/`)) this.knownDirs.delete(d);
    this.knownDirs.add('');
  }
}
