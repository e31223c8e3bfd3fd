import { invalidArgument } from '@berth/kit';
import type { ImageContext } from './context.js';
import { digestMismatch, isIndexMediaType, parseIndex, readManifestDescriptors, sha256, type IndexEntry } from './manifest.js';
import { fetchSmallBlob, shortDigest, storeBlob, type Emit } from './pull-layer.js';
import type { RegistryAuth } from './registry.js';
import type { IndexRecord } from './types.js';

export interface IndexSource {
  /** Canonical repository the index was resolved in. */
  repository: string;
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** The host platform's manifest, which the pull itself stores (with its layers). */
  hostManifest: string;
  /** Also fetch every other manifest's layer blobs (not unpacked). */
  allPlatforms: boolean;
  auth: RegistryAuth | undefined;
}

/**
 * Keeps a pulled index whole, as Docker's containerd image store does: the index and every
 * manifest it lists, with their configs (all small); the other platforms' layer blobs only when
 * asked (`allPlatforms`), fetched into the content store without unpacking. Returns the record of
 * what is now held, so the image keeps it from the GC and a push can send the whole index.
 */
export async function keepIndexContent(ctx: ImageContext, source: IndexSource, emit: Emit, signal: AbortSignal): Promise<IndexRecord> {
  const { limits } = ctx;
  if (sha256(source.bytes) !== source.digest) throw digestMismatch('index', source.digest, sha256(source.bytes));
  await ctx.content.put(source.bytes, { digest: source.digest, size: source.bytes.length });
  const entries = parseIndex(source.bytes, `index ${source.digest}`);
  const blobs = new Set<string>([source.digest]);
  const keep = async (entry: IndexEntry): Promise<void> => {
    const manifest = await fetchManifest(ctx, source, entry, signal);
    blobs.add(entry.digest);
    if (isIndexMediaType(entry.mediaType)) return; // a nested index is kept as a document only
    const m = readManifestDescriptors(manifest, entry.mediaType);
    await fetchSmallBlob(ctx, source.repository, m.config, limits.maxConfigBytes, source.auth, signal);
    blobs.add(m.config.digest);
    const fetchLayers = source.allPlatforms && entry.digest !== source.hostManifest;
    for (const layer of m.layers) {
      if (fetchLayers && !/foreign|nondistributable/.test(layer.mediaType)) await fetchLayer(ctx, source, layer, emit, signal);
      if (await ctx.content.info(layer.digest)) blobs.add(layer.digest);
    }
  };
  const results = await Promise.allSettled(entries.map(keep));
  signal.throwIfAborted();
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') continue;
    // All platforms were asked for: a missing one fails the pull. Otherwise the host's image is
    // complete, and a platform not kept is only one a later push will name as missing.
    if (source.allPlatforms) throw r.reason;
    ctx.logger.warn({ index: source.digest, manifest: entries[i]!.digest, err: (r.reason as Error).message }, 'a manifest of the index was not kept');
  }
  return { digest: source.digest, mediaType: source.mediaType, blobs: [...blobs].sort() };
}

/** A child manifest from the content store, or from the registry (verified, size-limited). */
async function fetchManifest(ctx: ImageContext, source: IndexSource, entry: IndexEntry, signal: AbortSignal): Promise<Buffer> {
  const max = ctx.limits.maxManifestBytes;
  if (entry.size > max) throw invalidArgument(`manifest ${entry.digest} of index ${source.digest} is larger than ${max} bytes`);
  if (await ctx.content.info(entry.digest)) return ctx.content.read(entry.digest, max);
  const fetched = await ctx.registry.getManifest(source.repository, entry.digest, source.auth, signal);
  if (fetched.content.length > max) throw invalidArgument(`manifest ${entry.digest} of index ${source.digest} is larger than ${max} bytes`);
  await ctx.content.put(fetched.content, { digest: entry.digest, size: fetched.content.length });
  return fetched.content;
}

/** Another platform's layer, stored as a blob: "Download complete" (or "Already exists") per layer. */
async function fetchLayer(ctx: ImageContext, source: IndexSource, layer: { digest: string; size: number; mediaType: string }, emit: Emit, signal: AbortSignal): Promise<void> {
  const id = shortDigest(layer.digest);
  const fetched = await storeBlob(ctx, source.repository, layer, source.auth, signal);
  emit({ id, status: fetched ? 'Download complete' : 'Already exists', current: 0, total: 0 });
}

/**
 * What of an index is in the content store (an archive's files are stored before this runs): the
 * index, and each manifest it lists with its config and layers, as far as they are here.
 */
export async function heldIndexContent(ctx: ImageContext, digest: string, mediaType: string): Promise<IndexRecord> {
  const max = ctx.limits.maxManifestBytes;
  const blobs = new Set<string>([digest]);
  for (const entry of parseIndex(await ctx.content.read(digest, max), `index ${digest}`)) {
    if (!(await ctx.content.info(entry.digest))) continue;
    blobs.add(entry.digest);
    if (isIndexMediaType(entry.mediaType)) continue;
    const m = readManifestDescriptors(await ctx.content.read(entry.digest, max), entry.mediaType);
    for (const d of [m.config, ...m.layers]) if (await ctx.content.info(d.digest)) blobs.add(d.digest);
  }
  return { digest, mediaType, blobs: [...blobs].sort() };
}
