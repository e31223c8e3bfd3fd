import { BerthError, goArch, invalidArgument } from '@berth/kit';
import type { ImageContext } from './context.js';
import { applyOverrides, historyEntry, type ConfigOverrides, type HistoryStep } from './image-config-overrides.js';
import { viewOf } from './lookup.js';
import { chainIds, MediaTypes, sha256 } from './manifest.js';
import { canonicalString, familiarString, parseReference, withDefaultTag, type Reference } from './reference.js';
import type { StoredLayer } from './snapshotter.js';
import type { Descriptor, ImageRecord, ImageView, LayerRecord, Platform } from './types.js';

export interface ChildImageRequest {
  /** The image below; absent: a base image. */
  parent?: ImageRecord;
  /** The new layer, stored; absent: a step that changed no file (history says `empty_layer`). */
  layer?: StoredLayer;
  config: ConfigOverrides;
  history: HistoryStep;
  /** Names to point at the new image (already parsed by `parseTags`). */
  tags: Reference[];
  /** A base image's platform (the host's when absent). */
  platform?: Platform;
}


/** repo[:tag] names for a new image, checked before any work is done (tag "latest" by default). */
export function parseTags(tags: readonly string[]): Reference[] {
  return tags.map((t) => {
    const ref = parseReference(t);
    if (ref.digest !== undefined) throw invalidArgument(`refusing to create a tag with a digest reference: ${t}`);
    return withDefaultTag(ref);
  });
}

/**
 * The primitive behind commit, import and a build step: parent + one stored layer blob → a new
 * image. The blob is unpacked into a new snapshot with the pull's own unpacker (so the safety
 * checks of a pull apply, and the image is ready to run), its diff ID checked, the snapshot
 * committed under its chain ID; then the config (parent's + overrides + diff ID + history step)
 * and a manifest are stored and the image recorded with its tags in one transaction. A failure
 * removes what this call made (snapshot, blobs) unless something else uses it.
 */
export async function createChildImage(ctx: ImageContext, req: ChildImageRequest, signal: AbortSignal): Promise<ImageView> {
  const made: { chain?: string; blobs: string[] } = { blobs: req.layer ? [req.layer.digest] : [] };
  try {
    const parentLayers = req.parent?.layers ?? [];
    const parentChain = parentLayers[parentLayers.length - 1]?.chainId;
    const oci = req.parent?.manifestMediaType === MediaTypes.ociManifest;
    let layer: LayerRecord | undefined;
    let layerSize = 0;
    if (req.layer) {
      const chain = chainIds([...parentLayers.map((l) => l.diffId), req.layer.diffId]).pop()!;
      const mediaType = oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip';
      const existing = ctx.snapshots.layerSize(chain);
      if (existing === undefined) made.chain = chain;
      layerSize = existing ?? (await unpackLayer(ctx, req.layer, mediaType, chain, parentChain, signal));
      layer = { digest: req.layer.digest, mediaType, size: req.layer.size, diffId: req.layer.diffId, chainId: chain, diffSize: req.layer.tarSize };
    }
    const layers = [...parentLayers, ...(layer ? [layer] : [])];
    const config = childConfig(req, layers.map((l) => l.diffId));
    const configDigest = sha256(config);
    made.blobs.push(configDigest);
    await ctx.content.put(config, { digest: configDigest, size: config.length });
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: oci ? MediaTypes.ociManifest : MediaTypes.dockerManifest,
        config: { mediaType: oci ? MediaTypes.ociConfig : MediaTypes.dockerConfig, size: config.length, digest: configDigest },
        layers: layers.map((l): Descriptor => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
      }),
    );
    const manifestDigest = sha256(manifest);
    made.blobs.push(manifestDigest);
    await ctx.content.put(manifest, { digest: manifestDigest, size: manifest.length });
    const doc = JSON.parse(config.toString('utf8')) as { created: string; os: string; architecture: string; variant?: string; config: { Labels?: Record<string, string> } };
    const image: ImageRecord = {
      id: configDigest,
      config,
      manifestDigest,
      manifestMediaType: oci ? MediaTypes.ociManifest : MediaTypes.dockerManifest,
      size: (req.parent?.size ?? 0) + layerSize,
      created: doc.created,
      os: doc.os,
      architecture: doc.architecture,
      variant: doc.variant ?? '',
      labels: { ...(doc.config.Labels ?? {}) },
      layers,
      storedAt: Date.now(),
      ...(req.parent && { parent: req.parent.id }),
    };
    const refs = req.tags.map((r) => ({ name: canonicalString(r), repository: r.repository, tag: r.tag!, imageId: image.id }));
    ctx.images.putImage(image, refs);
    for (const r of req.tags) await ctx.events.tag(image.id, familiarString(r));
    return viewOf(ctx.images, ctx.images.get(image.id)!);
  } catch (err) {
    await undo(ctx, made);
    throw err;
  }
}

/** The parent's config (or a fresh one) + overrides + the new diff IDs + one history step. */
function childConfig(req: ChildImageRequest, diffIds: string[]): Buffer {
  const created = req.history.created || new Date().toISOString();
  const base: Record<string, unknown> = req.parent
    ? (JSON.parse(req.parent.config.toString('utf8')) as Record<string, unknown>)
    : {
        architecture: req.platform?.architecture || goArch(),
        os: req.platform?.os || 'linux',
        ...(req.platform?.variant && { variant: req.platform.variant }),
      };
  // What described the parent's own making does not describe this image.
  for (const k of ['container', 'container_config', 'docker_version', 'author', 'id', 'parent']) delete base[k];
  const history = Array.isArray(base['history']) ? (base['history'] as unknown[]) : [];
  const doc = {
    ...base,
    created,
    ...(req.history.author && { author: req.history.author }),
    config: applyOverrides((base['config'] ?? {}) as Record<string, unknown>, req.config),
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [...history, historyEntry(req.history, created, req.layer === undefined)],
  };
  return Buffer.from(JSON.stringify(doc));
}

/** Unpacks the stored blob into a new snapshot, checks its diff ID, commits it as `chain`. */
async function unpackLayer(ctx: ImageContext, layer: StoredLayer, mediaType: string, chain: string, parent: string | undefined, signal: AbortSignal): Promise<number> {
  const lowers = parent === undefined ? [] : ctx.snapshots.layerDirs(parent);
  const active = await ctx.snapshots.prepareLayer();
  try {
    const job = ctx.unpacker.start(ctx.content.blobPath(layer.digest), mediaType, { dir: active.dir, lowers: async () => lowers, digest: layer.digest, signal });
    job.end(layer.size);
    const result = await job.done.catch((err: unknown) => {
      throw err instanceof BerthError ? err : invalidArgument(`the layer cannot be unpacked: ${(err as Error).message}`, err);
    });
    if (result.diffId !== layer.diffId) throw new BerthError('data_loss', `layer ${layer.digest} unpacked as ${result.diffId}, stored as ${layer.diffId}`);
    await ctx.snapshots.commitLayer(active, chain, parent, result.size);
    return result.size;
  } catch (err) {
    await ctx.snapshots.abortLayer(active);
    throw err;
  }
}

/** Removes the snapshot and blobs a failed call made, unless an image uses them. */
async function undo(ctx: ImageContext, made: { chain?: string; blobs: string[] }): Promise<void> {
  try {
    if (made.chain !== undefined && !ctx.images.referencedChains().has(made.chain)) await ctx.snapshots.removeLayer(made.chain);
    const used = ctx.images.referencedBlobs();
    for (const d of made.blobs) if (!used.has(d)) await ctx.content.delete(d);
  } catch (err) {
    // The automatic GC removes what is left; the caller's failure is the one to report.
    ctx.logger.warn({ err }, 'cleanup after a failed image creation was incomplete');
  }
}
