import { invalidArgument } from '@berth/kit';
import { createChildImage, parseTags } from './child-image.js';
import type { ImageContext } from './context.js';
import type { ConfigOverrides, HistoryStep } from './image-config-overrides.js';
import { findImage } from './lookup.js';
import type { ImageView, Platform } from './types.js';

export interface ImportRequest {
  /** Image id or name; absent: a base image. */
  parent?: string;
  config: ConfigOverrides;
  history: HistoryStep;
  tags: string[];
  /** A base image's platform (the host's when absent). */
  platform?: Platform;
  /** No layer (a build's config step): the data must be empty; the history step says `empty_layer`. */
  noLayer?: boolean;
}

/**
 * Docker's import (and a build's ADD/COPY): one layer tar (plain, gzip or zstd), untrusted, on
 * top of the parent or of nothing. The tar is stored as a gzip blob, then unpacked by the pull's
 * applier, which refuses `..`, absolute-path and symlink escapes; nothing stays on failure.
 * With `noLayer` (a build's config step) the image gets no layer at all, as moby's
 * `NewChildImage` without a diff: on FROM scratch there is no snapshot CommitSnapshot could use.
 */
export function importLayer(ctx: ImageContext, req: ImportRequest, data: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<ImageView> {
  const tags = parseTags(req.tags);
  return ctx.locks.gc.withShared(async () => {
    const parent = req.parent ? findImage(ctx.images, req.parent).image : undefined;
    const layer = req.noLayer ? await noData(data) : await ctx.layerWriter.store(data, signal);
    const image = await createChildImage(
      ctx,
      { ...(parent && { parent }), ...(layer && { layer }), config: req.config, history: req.history, tags, ...(req.platform && { platform: req.platform }) },
      signal,
    );
    await ctx.events.import(image.id);
    return image;
  });
}

/** A `noLayer` import carries no tar: any byte is a caller's mistake, refused. */
async function noData(data: AsyncIterable<Uint8Array>): Promise<undefined> {
  for await (const chunk of data) if (chunk.length > 0) throw invalidArgument('an import with no_layer carries no data');
  return undefined;
}
