import { loadImages, type LoadResult } from './archive-load.js';
import { saveImages } from './archive-save.js';
import { commitSnapshot, type CommitRequest } from './commit.js';
import type { ImageContext } from './context.js';
import { diskUsage, type DiskUsage } from './disk-usage.js';
import { imageHistory, type HistoryItem } from './history.js';
import { importLayer, type ImportRequest } from './import-layer.js';
import { imageFilter, listImages, type Filters } from './list.js';
import { findImage, viewOf } from './lookup.js';
import { pullImage, type PullRequest } from './pull.js';
import { pruneImages, removeImage, type PruneResult } from './remove.js';
import { prepareSnapshot, removeSnapshot, snapshotMounts } from './snapshots.js';
import { tagImage } from './tag.js';
import type { ImageView, Mount, PullProgress, RemoveResult } from './types.js';

/** The image service's use cases behind one object: what the gRPC layer forwards to. */
export class Images {
  constructor(private readonly ctx: ImageContext) {}

  pull(request: PullRequest, signal: AbortSignal): AsyncIterable<PullProgress> {
    return pullImage(this.ctx, request, signal);
  }

  get(reference: string): ImageView {
    return viewOf(this.ctx.images, findImage(this.ctx.images, reference).image);
  }

  /** `all` false: Docker's default `docker images`, without untagged images that are parents of another. */
  list(filters: Filters = {}, all = true): ImageView[] {
    return listImages(this.ctx, filters, all);
  }

  tag(source: string, target: string): Promise<void> {
    return tagImage(this.ctx, source, target);
  }

  remove(reference: string, force: boolean, noPrune = false): Promise<RemoveResult> {
    return removeImage(this.ctx, reference, force, noPrune);
  }

  prune(all: boolean, filters: Filters = {}): Promise<PruneResult> {
    const { dangling: _ignored, ...rest } = filters;
    const match = imageFilter(this.ctx, rest);
    return pruneImages(this.ctx, all, (image) => !match(viewOf(this.ctx.images, image)));
  }

  history(reference: string): HistoryItem[] {
    return imageHistory(this.ctx, reference);
  }

  diskUsage(): Promise<DiskUsage> {
    return diskUsage(this.ctx);
  }

  save(references: string[], signal: AbortSignal): AsyncIterable<Uint8Array> {
    return saveImages(this.ctx, references, signal);
  }

  load(source: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<LoadResult> {
    return loadImages(this.ctx, source, signal);
  }

  commit(request: CommitRequest, signal: AbortSignal): Promise<ImageView> {
    return commitSnapshot(this.ctx, request, signal);
  }

  import(request: ImportRequest, data: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<ImageView> {
    return importLayer(this.ctx, request, data, signal);
  }

  prepareSnapshot(key: string, image: string): Promise<{ mounts: Mount[]; imageId: string }> {
    return prepareSnapshot(this.ctx, key, image);
  }

  snapshotMounts(key: string): Mount[] {
    return snapshotMounts(this.ctx, key);
  }

  removeSnapshot(key: string): Promise<void> {
    return removeSnapshot(this.ctx, key);
  }
}
