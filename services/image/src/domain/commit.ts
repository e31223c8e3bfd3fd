import { failedPrecondition } from '@berth/kit';
import { createChildImage, parseTags } from './child-image.js';
import type { ImageContext } from './context.js';
import type { ConfigOverrides, HistoryStep } from './image-config-overrides.js';
import { findImage } from './lookup.js';
import type { ImageRecord, ImageView } from './types.js';

export interface CommitRequest {
  /** The container's snapshot key (its id). */
  key: string;
  /** The image the snapshot was prepared from; absent: the one its lease names. */
  parent?: string;
  config: ConfigOverrides;
  history: HistoryStep;
  tags: string[];
}

/**
 * Docker's commit: the container's writable snapshot becomes one layer on top of its image
 * (`createChildImage`). An unchanged container adds no layer, as moby's `NewChildImage` does for
 * an empty diff: the history step is marked `empty_layer`. The caller pauses the container.
 */
export function commitSnapshot(ctx: ImageContext, req: CommitRequest, signal: AbortSignal): Promise<ImageView> {
  const tags = parseTags(req.tags);
  return ctx.locks.gc.withShared(async () => {
    const top = ctx.snapshots.parentOf(req.key);
    const parent = req.parent ? findImage(ctx.images, req.parent).image : leasedImage(ctx, req.key);
    if (parent && parent.layers[parent.layers.length - 1]?.chainId !== top) {
      throw failedPrecondition(`snapshot ${req.key} is not on image ${parent.id}`);
    }
    const tar = await ctx.snapshots.diff(req.key, signal);
    const layer = tar && (await ctx.layerWriter.store(tar, signal));
    const image = await createChildImage(ctx, { ...(parent && { parent }), ...(layer && { layer }), config: req.config, history: req.history, tags }, signal);
    await ctx.events.commit(req.key, image.id, image.repoTags[0] ?? '', req.history.comment);
    return image;
  });
}

/** The image whose lease the snapshot holds. */
function leasedImage(ctx: ImageContext, key: string): ImageRecord | undefined {
  return ctx.images.list().find((i) => ctx.images.leasesOf(i.id).includes(key));
}
