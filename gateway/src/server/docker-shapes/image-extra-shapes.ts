import type { image, runtime } from '@berth/proto';
import { imageDeleteResponse, imageSummary } from './image-shapes.js';
import { listSummary } from './summary-cache.js';
import { volumeJson } from './volume-shapes.js';

/** `GET /images/{name}/history`: moby's HistoryResponseItem list, newest first. */
export function imageHistoryJson(res: image.ImageHistoryResponse): Array<Record<string, unknown>> {
  return res.entries.map((e) => ({
    Id: e.id,
    Created: e.created,
    CreatedBy: e.createdBy,
    Tags: e.tags.length > 0 ? e.tags : null,
    Size: e.size,
    Comment: e.comment,
  }));
}

/** `POST /images/prune`: `{ImagesDeleted, SpaceReclaimed}`. */
export function imagePruneJson(res: image.PruneImagesResponse): Record<string, unknown> {
  const deleted = imageDeleteResponse({ untagged: res.untagged, deleted: res.deleted });
  return { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: res.spaceReclaimed };
}

/**
 * `GET /system/df`: the images with their shared size and container count (image service), the
 * containers with their writable layer's size (the image service measures the snapshots, the
 * runtime knows the containers), the volumes (runtime). berth builds nothing: no build cache.
 */
export function systemDfJson(usage: image.DiskUsageResponse, containers: runtime.Container[], volumes: runtime.Volume[], now = new Date()): Record<string, unknown> {
  const rw = new Map(usage.snapshots.map((s) => [s.key, s.size]));
  const imageSize = new Map(usage.images.map((u) => [u.image!.id, u.image!.size]));
  return {
    LayersSize: usage.layersSize,
    Images: usage.images.map((u) => ({ ...imageSummary(u.image!), SharedSize: u.sharedSize, Containers: u.image!.containers })),
    Containers: containers.map((c) => {
      const summary = listSummary(c, now);
      const sizeRw = rw.get(c.id) ?? 0;
      return { ...summary, SizeRw: sizeRw, SizeRootFs: sizeRw + (imageSize.get(String(summary['ImageID'] ?? '')) ?? 0) };
    }),
    Volumes: volumes.map(volumeJson),
    BuildCache: [],
  };
}
