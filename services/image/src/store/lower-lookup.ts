import path from 'node:path';
import type { Stats } from 'node:fs';
import { invalidArgument } from '@berth/kit/errors';
import { OVERLAY_OPAQUE, type NodeTools } from './node-tools.js';
import { isWhiteout, lstatOrUndefined } from './snapshot-tree.js';

/**
 * Finds `parts` in the merged view of `lowers` (topmost first) the way overlayfs would: a
 * whiteout hides the path, a non-directory hides what lies below it, an opaque directory hides
 * the layers beneath. Symlinks are never followed: one among the parents is refused.
 */
export async function findInLowers(
  lowers: readonly string[],
  parts: readonly string[],
  tools: NodeTools,
): Promise<{ path: string; stat: Stats } | undefined> {
  if (parts.length === 0) return undefined;
  for (const lower of lowers) {
    let dir = lower;
    let opaqueAbove = false;
    for (const [i, c] of parts.entries()) {
      const p = path.join(dir, c);
      const st = await lstatOrUndefined(p);
      if (st === undefined) break;
      if (isWhiteout(st)) return undefined;
      if (i === parts.length - 1) return { path: p, stat: st };
      if (st.isSymbolicLink()) {
        throw invalidArgument(`hard link target ${JSON.stringify(parts.join('/'))} goes through a symlink in a lower layer`);
      }
      if (!st.isDirectory()) return undefined;
      if ((await tools.getXattr(p, OVERLAY_OPAQUE))?.toString() === 'y') opaqueAbove = true;
      dir = p;
    }
    if (opaqueAbove) return undefined;
  }
  return undefined;
}
