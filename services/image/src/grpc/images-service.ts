import { serve, type ServiceRegistration } from '@berth/kit';
import { image } from '@berth/proto';
import type { Images } from '../domain/images.js';
import type { ImagePusher } from '../domain/push.js';
import { pushImageHandler } from './push-handler.js';
import { commitRequestFromProto, importRequestFromProto } from './convert-commit.js';
import { authFromProto, diskUsageToProto, filtersFromProto, imageToProto, mountToProto, platformFromProto, progressToProto } from './convert.js';

/** The Images gRPC service: decode, call the domain, encode. Nothing else lives here. */
export function imagesService(images: Images, pusher?: ImagePusher): ServiceRegistration {
  return serve(image.ImagesService, {
    pullImage: async function* (req, ctx) {
      const platform = platformFromProto(req.platform);
      const auth = authFromProto(req.auth);
      const request = { reference: req.reference, ...(platform && { platform }), ...(auth && { auth }), ...(req.allPlatforms && { allPlatforms: true }) };
      for await (const progress of images.pull(request, ctx.signal)) yield progressToProto(progress);
    },
    getImage: async (req) => ({ image: imageToProto(images.get(req.reference)) }),
    listImages: async (req) => ({ images: images.list(filtersFromProto(req.filters), req.all).map(imageToProto) }),
    tagImage: async (req) => {
      await images.tag(req.source, req.target);
      return {};
    },
    removeImage: async (req) => images.remove(req.reference, req.force, req.noPrune),
    pruneImages: async (req) => images.prune(req.all, filtersFromProto(req.filters)),
    imageHistory: async (req) => ({ entries: images.history(req.reference) }),
    diskUsage: async () => diskUsageToProto(await images.diskUsage()),
    saveImages: async function* (req, ctx) {
      for await (const data of images.save(req.references, ctx.signal)) yield { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
    },
    loadImages: async (reqs, ctx) => {
      async function* data(): AsyncGenerator<Uint8Array> {
        for await (const r of reqs) yield r.data;
      }
      const loaded = await images.load(data(), ctx.signal);
      return { messages: loaded.messages, images: loaded.images.map(imageToProto) };
    },
    commitSnapshot: async (req, ctx) => ({ image: imageToProto(await images.commit(commitRequestFromProto(req), ctx.signal)) }),
    importLayer: async (reqs, ctx) => {
      const it = reqs[Symbol.asyncIterator]();
      const first = await it.next();
      const request = importRequestFromProto(first.done ? undefined : first.value.header);
      async function* data(): AsyncGenerator<Uint8Array> {
        for (let n = await it.next(); !n.done; n = await it.next()) if (n.value.data) yield n.value.data;
      }
      return { image: imageToProto(await images.import(request, data(), ctx.signal)) };
    },
    prepareSnapshot: async (req) => {
      const { mounts, imageId } = await images.prepareSnapshot(req.key, req.image);
      return { mounts: mounts.map(mountToProto), imageId };
    },
    getSnapshotMounts: async (req) => ({ mounts: images.snapshotMounts(req.key).map(mountToProto) }),
    removeSnapshot: async (req) => {
      await images.removeSnapshot(req.key);
      return {};
    },
    ...(pusher && { pushImage: pushImageHandler(pusher) }),
  });
}
