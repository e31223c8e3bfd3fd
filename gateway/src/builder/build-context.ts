import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BerthError, invalidArgument } from '@berth/kit';
// The image service's applier, the one every pulled layer goes through (no `..`, absolute names,
// writes through symlinks or hard links out of the tree). Reused as is, not copied.
import { applyLayerTar } from '@berth/image/dist/store/layer-applier.js';
import type { NodeTools } from '@berth/image/dist/store/node-tools.js';

/** A build context has no use for device nodes or overlay whiteouts: refused. */
const NO_SPECIAL_FILES: NodeTools = {
  mknod: async (p) => {
    throw invalidArgument(`the build context may not contain device nodes, fifos or whiteouts (${path.basename(p)})`);
  },
  setXattr: async () => {
    throw invalidArgument('the build context may not contain overlay opaque markers');
  },
  getXattr: async () => undefined,
};

/**
 * Extracts the build context (a tar, plain or gzip, as `POST /build` receives it) into `dir`,
 * with the image service's safe applier: nothing can land outside `dir`. Symlinks are kept as
 * they are; `resolveInContext` never lets one lead out of the context.
 */
export async function extractContext(body: AsyncIterable<Uint8Array>, dir: string, signal?: AbortSignal): Promise<void> {
  await applyLayerTar(Readable.from(maybeGunzip(body)), {
    root: dir,
    lowers: async () => [],
    tools: NO_SPECIAL_FILES,
    devices: 'skip',
    ...(signal && { signal }),
  });
}

async function* maybeGunzip(body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const it = body[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = Buffer.from(first.value);
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) yield Buffer.from(n.value);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const fed = Readable.from(all()).pipe(gunzip);
    for await (const chunk of fed) yield chunk as Buffer;
  } else {
    yield* all();
  }
}

/** A context-relative source ("a/b", "/a/b", "./a") as clean parts; `..` out of the context is an error. */
export function contextParts(source: string): string[] {
  const parts: string[] = [];
  for (const c of source.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) throw invalidArgument(`forbidden path outside the build context: ${source}`);
      parts.pop();
    } else parts.push(c);
  }
  return parts;
}

const MAX_LINKS = 255;

/**
 * The host path of `parts` inside `root`, symlinks followed as if `root` were `/` (moby's
 * FollowSymlinkInScope): an absolute target restarts at `root`, `..` stops at `root`. A
 * symlink to /etc/passwd in the context resolves to `<root>/etc/passwd`, never the host's file.
 * The last component is followed too unless `followLast` is false.
 */
export async function resolveInContext(root: string, parts: readonly string[], followLast = true): Promise<string> {
  const pending = [...parts];
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const here = path.join(root, ...done, c);
    const st = await lstat(here).catch(() => undefined);
    if (!st?.isSymbolicLink() || (!followLast && pending.length === 0)) {
      done.push(c);
      continue;
    }
    if (++links > MAX_LINKS) throw new BerthError('invalid_argument', `too many symlinks resolving ${parts.join('/')}`);
    const target = await readlink(here);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/'));
  }
  return path.join(root, ...done);
}
