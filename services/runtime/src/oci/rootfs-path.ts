import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { BerthError } from '@berth/kit';

const MAX_LINKS = 40;

/**
 * Resolves `unsafe` inside `root` as if root were "/" (chroot semantics, like filepath-securejoin):
 * symlinks are followed but absolute targets and ".." stay under root. The result never names a
 * place outside root, whatever the image's symlinks say.
 */
export async function resolveInRoot(root: string, unsafe: string): Promise<string> {
  return resolveInRootSync(root, unsafe);
}

/**
 * resolveInRoot's work, synchronously: a few lstat calls on a local filesystem, microseconds each
 * (see small-files.ts for why the start path prefers that to thread-pool round trips).
 */
export function resolveInRootSync(root: string, unsafe: string): string {
  const pending = unsafe.split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    let st;
    try {
      st = lstatSync(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
    if (!st?.isSymbolicLink()) {
      // A missing part is kept, and the rest still goes through this loop: "missing/../.." must
      // pop within root, not be joined lexically past it.
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new BerthError('invalid_argument', `too many symlinks resolving ${unsafe}`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return path.join(root, ...resolved);
}

/**
 * Reads a regular file inside root (see resolveInRoot); undefined when it does not exist. Used at
 * every start for /etc/passwd and /etc/group, so synchronous (small files, local filesystem).
 */
export async function readFileInRoot(root: string, unsafe: string, maxBytes = 4 * 1024 * 1024): Promise<string | undefined> {
  const file = resolveInRootSync(root, unsafe);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (st.size > maxBytes) throw new BerthError('invalid_argument', `${unsafe} in the container is too large`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
