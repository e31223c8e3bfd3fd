import { invalidArgument } from '@berth/kit';
import type { ImageContext } from './context.js';
import { findImage } from './lookup.js';
import { canonicalString, familiarString, parseReference, withDefaultTag } from './reference.js';

/** Docker's `tag`: points `target` (repo[:tag], tag "latest" by default) at the source image. */
export async function tagImage(ctx: ImageContext, source: string, target: string): Promise<void> {
  const { image } = findImage(ctx.images, source);
  const parsed = parseReference(target);
  if (parsed.digest !== undefined) throw invalidArgument(`refusing to create a tag with a digest reference: ${target}`);
  const ref = withDefaultTag(parsed);
  ctx.images.setRef({ name: canonicalString(ref), repository: ref.repository, tag: ref.tag!, imageId: image.id });
  await ctx.events.tag(image.id, familiarString(ref));
}
