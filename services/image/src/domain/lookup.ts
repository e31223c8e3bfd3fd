import { notFound } from '@berth/kit';
import type { ImageStore } from './image-store.js';
import { canonicalString, familiarString, parseReference, withDefaultTag, type Reference } from './reference.js';
import type { ImageRecord, ImageView, RefRecord } from './types.js';

export interface Found {
  image: ImageRecord;
  /** The name the caller used, when it was a name rather than an id. */
  ref?: Reference;
}

const FULL_ID = /^sha256:[a-f0-9]{64}$/;
const HEX_PREFIX = /^(?:sha256:)?([a-f0-9]{1,64})$/;

/**
 * Docker's image lookup: a full id ("sha256:…" or 64 hex), then a name (`name[:tag]`, tag
 * "latest" by default, or `name@digest`), then a unique id prefix of any length.
 */
export function findImage(images: ImageStore, input: string): Found {
  const miss = () => notFound(`No such image: ${input}`);
  if (FULL_ID.test(input) || /^[a-f0-9]{64}$/.test(input)) {
    const image = images.get(input.startsWith('sha256:') ? input : `sha256:${input}`);
    if (!image) throw miss();
    return { image };
  }
  let ref: Reference | undefined;
  try {
    ref = withDefaultTag(parseReference(input));
  } catch {
    ref = undefined; // not a valid name: it can still be an id prefix ("sha256:abc")
  }
  if (ref) {
    const named = images.ref(canonicalString(ref));
    const image = named && images.get(named.imageId);
    if (image) return { image, ref };
  }
  const prefix = HEX_PREFIX.exec(input)?.[1];
  if (prefix !== undefined) {
    const ids = images.findByIdPrefix(prefix);
    const image = ids.length === 1 ? images.get(ids[0]!) : undefined;
    if (image) return { image };
  }
  throw notFound(`No such image: ${ref ? familiarString(ref) : input}`);
}

/** Whether `input` names the image by (a prefix of) its id, as Docker's rmi decides. */
export function isIdPrefix(imageId: string, input: string): boolean {
  return imageId.startsWith(input) || imageId.slice('sha256:'.length).startsWith(input);
}

export function familiarRef(ref: RefRecord): string {
  return familiarString({ repository: ref.repository, ...(ref.tag !== undefined && { tag: ref.tag }), ...(ref.digest !== undefined && { digest: ref.digest }) });
}

export function viewOf(images: ImageStore, image: ImageRecord): ImageView {
  const refs = images.refsOf(image.id);
  const tags = refs.filter((r) => r.tag !== undefined);
  const lastTagTime = tags.reduce<number | undefined>((t, r) => (r.createdAt !== undefined && (t === undefined || r.createdAt > t) ? r.createdAt : t), undefined);
  return {
    ...image,
    repoTags: tags.map(familiarRef),
    repoDigests: refs.filter((r) => r.digest !== undefined).map(familiarRef),
    containers: images.leasesOf(image.id).length,
    ...(lastTagTime !== undefined && { lastTagTime }),
  };
}
