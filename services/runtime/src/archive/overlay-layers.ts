import { BerthError } from '@berth/kit';
import type { MountSpec } from '../domain/container.js';

/** The directories of a container's overlay snapshot: its writable upper dir and the image's lowers (topmost first). */
export interface OverlayLayers {
  upper: string;
  lowers: string[];
}

/**
 * Reads the layers out of the snapshot's mount (as the image service describes it). A bind mount
 * is a snapshot without parents: everything in it is the container's own.
 */
export function overlayLayers(mounts: MountSpec[]): OverlayLayers {
  const m = mounts[0];
  if (mounts.length !== 1 || !m) throw new BerthError('internal', `expected one rootfs mount, got ${mounts.length}`);
  if (m.type === 'bind') return { upper: m.source, lowers: [] };
  const opt = (name: string) => m.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
  const upper = opt('upperdir');
  if (m.type !== 'overlay' || upper === undefined) throw new BerthError('failed_precondition', 'the container has no writable overlay layer');
  return { upper, lowers: (opt('lowerdir') ?? '').split(':').filter(Boolean) };
}
