import type { ImageContext } from './context.js';
import { viewOf } from './lookup.js';
import type { ImageView } from './types.js';

export interface ImageUsage {
  image: ImageView;
  /** Bytes of its layers that other images use too. */
  sharedSize: number;
  uniqueSize: number;
}

export interface DiskUsage {
  images: ImageUsage[];
  /** Unpacked size of every committed layer, each counted once. */
  layersSize: number;
  /** Bytes of the blobs in the content store. */
  contentSize: number;
  /** Containers' writable snapshots and what they hold. */
  snapshots: Array<{ key: string; size: number }>;
}

/**
 * `system df` for images, as moby computes it: a layer (chain ID) used by more than one image is
 * shared; an image's size counts all its layers, its shared size those that are shared.
 */
export async function diskUsage(ctx: ImageContext): Promise<DiskUsage> {
  const all = ctx.images.list();
  const users = new Map<string, number>();
  for (const img of all) for (const chain of new Set(img.layers.map((l) => l.chainId))) users.set(chain, (users.get(chain) ?? 0) + 1);
  const images = all.map((img) => {
    const sharedSize = img.layers.reduce((sum, l) => sum + ((users.get(l.chainId) ?? 0) > 1 ? (ctx.snapshots.layerSize(l.chainId) ?? 0) : 0), 0);
    return { image: viewOf(ctx.images, img), sharedSize, uniqueSize: img.size - sharedSize };
  });
  const layersSize = ctx.snapshots.layers().reduce((sum, chain) => sum + (ctx.snapshots.layerSize(chain) ?? 0), 0);
  let contentSize = 0;
  for (const digest of await ctx.content.list()) contentSize += (await ctx.content.info(digest))?.size ?? 0;
  const snapshots = [];
  for (const key of ctx.snapshots.containerKeys()) snapshots.push({ key, size: await ctx.snapshots.usage(key).catch(() => 0) }); // removed meanwhile
  return { images, layersSize, contentSize, snapshots };
}
