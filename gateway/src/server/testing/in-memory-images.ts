import { BerthError, type Handlers } from '@berth/kit';
import type { image } from '@berth/proto';
import { imageFixture } from './image-fixture.js';
import { familiarTagged, parseImageRef } from '../../reference/image-reference.js';

/**
 * An image service kept in memory, served over real gRPC in the gateway's server test. It knows
 * the images in `pullable` (what a registry would have) and stores what was pulled or tagged.
 */
export class InMemoryImages {
  readonly images = new Map<string, image.Image>();

  constructor(private readonly pullable: Record<string, image.Image>) {}

  find(ref: string): image.Image | undefined {
    const wanted = ref.startsWith('sha256:') ? ref : familiarTagged(ref);
    for (const img of this.images.values()) {
      if (img.id === wanted || img.id.startsWith(`sha256:${ref}`) || img.repoTags.includes(wanted)) return img;
    }
    return undefined;
  }

  handlers(): Partial<Handlers<image.ImagesService>> {
    return {
      getImage: async ({ reference }) => {
        const img = this.find(reference);
        if (!img) throw new BerthError('not_found', `No such image: ${reference}`);
        return { image: img };
      },
      listImages: async () => ({ images: [...this.images.values()] }),
      pullImage: (req) => this.pull(req.reference),
      tagImage: async ({ source, target }) => {
        const img = this.find(source);
        if (!img) throw new BerthError('not_found', `No such image: ${source}`);
        img.repoTags = [...new Set([...img.repoTags, target])];
        return {};
      },
      removeImage: async ({ reference }) => {
        const img = this.find(reference);
        if (!img) throw new BerthError('not_found', `No such image: ${reference}`);
        const tag = familiarTagged(reference);
        if (img.repoTags.includes(tag) && img.repoTags.length > 1) {
          img.repoTags = img.repoTags.filter((t) => t !== tag);
          return { untagged: [tag], deleted: [] };
        }
        this.images.delete(img.id);
        return { untagged: img.repoTags, deleted: [img.id] };
      },
    };
  }

  /** The messages the real image service sends, in its order. */
  private async *pull(reference: string): AsyncGenerator<image.PullProgress> {
    const name = familiarTagged(reference);
    const found = this.pullable[name];
    if (!found) throw new BerthError('not_found', `pull access denied for ${name}, repository does not exist`);
    const ref = parseImageRef(reference);
    const progress = (id: string, status: string, current = 0, total = 0) => ({ id, status, current, total });
    yield progress(ref.tag ?? '', `Pulling from ${ref.path}`);
    const layer = found.diffIds[0]!.slice(7, 19);
    yield progress(layer, 'Pulling fs layer');
    yield progress(layer, 'Downloading', 1000, 2000);
    yield progress(layer, 'Pull complete');
    const existed = this.images.has(found.id);
    const img = { ...found, repoTags: [name] };
    this.images.set(img.id, img);
    yield progress('', `Digest: ${found.repoDigests[0]!.split('@')[1]}`);
    const status = existed ? `Status: Image is up to date for ${name}` : `Status: Downloaded newer image for ${name}`;
    yield { ...progress('', status), image: img };
  }
}

export const HELLO_IMAGE = imageFixture({
  id: 'sha256:' + '1'.repeat(64),
  repoTags: [],
  repoDigests: ['hello-world@sha256:' + '2'.repeat(64)],
  size: 13_256,
});
