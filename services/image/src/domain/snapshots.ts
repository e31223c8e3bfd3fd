import { invalidArgument } from '@berth/kit';
import type { ImageContext } from './context.js';
import { findImage } from './lookup.js';
import type { Mount } from './types.js';

/**
 * A container's writable snapshot on top of its image, and the lease that keeps the image (and
 * its layers) from being deleted while the container exists.
 */
export async function prepareSnapshot(ctx: ImageContext, key: string, imageRef: string): Promise<{ mounts: Mount[]; imageId: string }> {
  if (key === '') throw invalidArgument('snapshot key (container id) is empty');
  const { image } = findImage(ctx.images, imageRef);
  const top = image.layers[image.layers.length - 1]?.chainId;
  const mounts = await ctx.snapshots.prepare(key, top);
  try {
    ctx.images.addLease(key, image.id);
  } catch (err) {
    await ctx.snapshots.remove(key);
    throw err;
  }
  return { mounts, imageId: image.id };
}

export function snapshotMounts(ctx: ImageContext, key: string): Mount[] {
  return ctx.snapshots.mounts(key);
}

/** Idempotent: the snapshot's directories go first, then the lease. */
export async function removeSnapshot(ctx: ImageContext, key: string): Promise<void> {
  await ctx.snapshots.remove(key);
  ctx.images.removeLease(key);
}
