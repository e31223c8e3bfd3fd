import { failedPrecondition, shortId } from '@berth/kit';
import type { ImageContext } from './context.js';
import { familiarRef, findImage, isIdPrefix } from './lookup.js';
import { canonicalString } from './reference.js';
import type { ImageRecord, RefRecord, RemoveResult } from './types.js';

/**
 * Docker's `rmi`. By name: untag (refused while a container uses the image and this is its only
 * repository, unless forced); the image goes once no name is left and no image is built on it.
 * By id: refused when several repositories name it or a container uses it, unless forced, and
 * always while an image is built on it. A forced removal of an image in use untags it but keeps
 * it (dangling) until the container's snapshot is gone. Unless `noPrune`, the parents the image
 * leaves unused go with it (`pruneParents`).
 */
export async function removeImage(ctx: ImageContext, reference: string, force: boolean, noPrune = false): Promise<RemoveResult> {
  const { images } = ctx;
  const { image, ref } = findImage(images, reference);
  const id = image.id;
  const result: RemoveResult = { untagged: [], deleted: [] };
  const refs = images.refsOf(id);
  const leases = images.leasesOf(id);
  const hasChildren = images.parentIds().has(id);
  if (ref !== undefined && !isIdPrefix(id, reference)) {
    if (!force && isSingleRepository(refs) && leases.length > 0) {
      throw failedPrecondition(`conflict: unable to remove repository reference "${reference}" (must force) - container ${shortId(leases[0]!)} is using its referenced image ${shortId(id)}`);
    }
    await untag(ctx, id, images.ref(canonicalString(ref))!, result);
    // The last tag of a repository gone: its digest references go with it (as Docker does).
    if (ref.tag !== undefined) {
      const rest = images.refsOf(id).filter((r) => r.repository === ref.repository);
      if (!rest.some((r) => r.tag !== undefined)) for (const r of rest) await untag(ctx, id, r, result);
    }
    if (images.refsOf(id).length > 0) return result;
  } else {
    // Docker's order of soft conflicts: other repositories first, then containers.
    if (!force && refs.length > 0 && !isSingleRepository(refs)) {
      throw failedPrecondition(`conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
    }
    // Docker's hard conflict: the images built on it would lose what they are made of.
    if (hasChildren) throw failedPrecondition(`conflict: unable to delete ${shortId(id)} (cannot be forced) - image has dependent child images`);
    if (!force && leases.length > 0) {
      throw failedPrecondition(`conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by stopped container ${shortId(leases[0]!)}`);
    }
    for (const r of refs) await untag(ctx, id, r, result);
  }
  if (leases.length > 0) return result; // forced while in use: kept, dangling, until the lease ends
  if (hasChildren) return result; // untagged, kept for the images built on it (as Docker does)
  await deleteImage(ctx, image, result);
  if (!noPrune && image.parent !== undefined) await pruneParents(ctx, image.parent, result);
  return result;
}

/**
 * Docker's prune of a removed image's parents (moby's imageDeleteHelper with `prune`): a build's
 * intermediate images go with the image built from them. Parent after parent, each goes while it
 * has no name, no container and no other image built on it; the first that has one stops the walk
 * quietly, and so does one that is gone already.
 */
async function pruneParents(ctx: ImageContext, parentId: string, result: RemoveResult): Promise<void> {
  for (let id: string | undefined = parentId; id !== undefined; ) {
    const image = ctx.images.get(id);
    if (!image || ctx.images.refsOf(id).length > 0 || ctx.images.leasesOf(id).length > 0 || ctx.images.parentIds().has(id)) return;
    await deleteImage(ctx, image, result);
    id = image.parent;
  }
}

/** Docker's isSingleReference: at most one tag, and all names in one repository. */
function isSingleRepository(refs: RefRecord[]): boolean {
  if (refs.length === 0) return false;
  const tags = refs.filter((r) => r.tag !== undefined);
  return tags.length <= 1 && new Set(refs.map((r) => r.repository)).size === 1;
}

async function untag(ctx: ImageContext, imageId: string, ref: RefRecord, result: RemoveResult): Promise<void> {
  ctx.images.deleteRef(ref.name);
  const name = familiarRef(ref);
  result.untagged.push(name);
  await ctx.events.untag(imageId, name);
}

/** Deletes the image row, then the layers and blobs no other image needs. */
export async function deleteImage(ctx: ImageContext, image: ImageRecord, result: RemoveResult): Promise<number> {
  for (const r of ctx.images.refsOf(image.id)) await untag(ctx, image.id, r, result);
  ctx.images.deleteImage(image.id);
  result.deleted.push(image.id);
  await ctx.events.delete(image.id);
  return ctx.locks.gc.withExclusive(async () => {
    let reclaimed = 0;
    const chains = ctx.images.referencedChains();
    for (const layer of [...image.layers].reverse()) {
      if (chains.has(layer.chainId) || ctx.snapshots.layerChildren(layer.chainId).length > 0) continue;
      reclaimed += ctx.snapshots.layerSize(layer.chainId) ?? 0;
      await ctx.snapshots.removeLayer(layer.chainId);
      result.deleted.push(layer.chainId);
    }
    const blobs = ctx.images.referencedBlobs();
    for (const digest of [image.id, image.manifestDigest, ...image.layers.map((l) => l.digest)]) {
      if (!blobs.has(digest)) await ctx.content.delete(digest);
    }
    return reclaimed;
  });
}

export interface PruneResult extends RemoveResult {
  spaceReclaimed: number;
}

/**
 * `image prune`: dangling images (or, with all, every image no container uses), then garbage.
 * An image something is built on is not dangling (Docker prunes `Heads()`): a build's
 * intermediate images stay while the image built from them does, and go in a later pass once
 * it has gone.
 */
export async function pruneImages(ctx: ImageContext, all: boolean, keep: (image: ImageRecord) => boolean): Promise<PruneResult> {
  const result: PruneResult = { untagged: [], deleted: [], spaceReclaimed: 0 };
  for (let pass = true; pass; ) {
    pass = false;
    const parents = ctx.images.parentIds();
    for (const image of ctx.images.list()) {
      if (parents.has(image.id) || ctx.images.leasesOf(image.id).length > 0 || keep(image)) continue;
      if (!all && ctx.images.refsOf(image.id).some((r) => r.tag !== undefined)) continue;
      result.spaceReclaimed += await deleteImage(ctx, image, result);
      pass = true;
    }
  }
  result.spaceReclaimed += await collectGarbage(ctx, result);
  return result;
}

export interface GcOptions {
  /** Leave layers and blobs younger than this (ms): a failed pull's work, kept for its retry. */
  graceMs?: number;
  /** Remove partial ingests whose last write is older than this (ms); kept when unset. */
  ingestExpiryMs?: number;
}

/**
 * Removes committed layers and blobs that no image needs (a failed pull's, or left by a crash
 * between a layer's commit and the image's record), once older than the grace period. Partial
 * ingests stay for the next pull to resume, unless they expired. Pulls hold the GC lock shared,
 * so nothing a running pull found or made disappears under it.
 */
export async function collectGarbage(ctx: ImageContext, result: RemoveResult, options: GcOptions = {}): Promise<number> {
  const cutoff = Date.now() - (options.graceMs ?? 0);
  return ctx.locks.gc.withExclusive(async () => {
    let reclaimed = 0;
    const needed = ctx.images.referencedChains();
    for (let removed = true; removed; ) {
      removed = false;
      for (const chain of ctx.snapshots.layers()) {
        if (needed.has(chain) || ctx.snapshots.layerChildren(chain).length > 0) continue;
        if ((ctx.snapshots.layerCreatedAt(chain) ?? 0) > cutoff) continue;
        reclaimed += ctx.snapshots.layerSize(chain) ?? 0;
        await ctx.snapshots.removeLayer(chain);
        result.deleted.push(chain);
        removed = true;
      }
    }
    const blobs = ctx.images.referencedBlobs();
    for (const digest of await ctx.content.list()) {
      if (blobs.has(digest) || ((await ctx.content.info(digest))?.modifiedAt ?? 0) > cutoff) continue;
      await ctx.content.delete(digest);
    }
    if (options.ingestExpiryMs !== undefined) {
      const expired = Date.now() - options.ingestExpiryMs;
      for (const ingest of await ctx.content.ingests()) if (ingest.modifiedAt < expired) await ctx.content.abortIngest(ingest.ref);
    }
    return reclaimed;
  });
}
