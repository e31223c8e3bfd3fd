import { Attr, invalidArgument, withSpan } from '@berth/kit';
import type { ImageContext } from './context.js';
import { viewOf } from './lookup.js';
import { chainIds, digestMismatch, parseImageConfig, parseManifest, sha256 } from './manifest.js';
import { ProgressQueue } from './progress-queue.js';
import { pullLayers } from './pull-layers.js';
import { keepIndexContent } from './index-content.js';
import { fetchSmallBlob, type Emit } from './pull-layer.js';
import { canonicalString, familiarRepository, familiarString, parseReference, remoteName, withDefaultTag, type Reference } from './reference.js';
import type { RegistryAuth } from './registry.js';
import type { ImageRecord, Platform, PullProgress, RefRecord } from './types.js';

export interface PullRequest {
  reference: string;
  platform?: Platform;
  auth?: RegistryAuth;
  /** A multi-platform image: also fetch the other platforms' layer blobs (not unpacked). */
  allPlatforms?: boolean;
}

/**
 * Pulls an image: progress messages stream out while layers download and unpack (three at a
 * time by default), the last message carries the image. The image and its names are recorded,
 * and the `pull` event published, only after every layer is verified and committed. A reference
 * naming an index pulls the host's (or the requested) platform and keeps the index's documents
 * (see index-content.ts); the RepoDigest is the index's digest, as Docker shows it.
 */
export function pullImage(ctx: ImageContext, request: PullRequest, signal: AbortSignal): AsyncIterable<PullProgress> {
  const queue = new ProgressQueue<PullProgress>();
  const run = () => ctx.locks.gc.withShared(() => runPull(ctx, request, (p) => queue.push(p), signal));
  void withSpan('image.Pull', { [Attr.ImageRef]: request.reference }, run).then(
    () => queue.end(),
    (err: unknown) => queue.fail(err),
  );
  return queue;
}

async function runPull(ctx: ImageContext, request: PullRequest, emit: Emit, signal: AbortSignal): Promise<void> {
  let ref = withDefaultTag(parseReference(request.reference));
  if (ref.digest !== undefined && ref.tag !== undefined) ref = { repository: ref.repository, digest: ref.digest };
  const { limits } = ctx;
  const resolved = await ctx.registry.resolve(canonicalString(ref), request.platform, request.auth, signal);
  if (resolved.manifest.length > limits.maxManifestBytes) {
    throw invalidArgument(`manifest of ${familiarString(ref)} is larger than ${limits.maxManifestBytes} bytes`);
  }
  const actualManifestDigest = sha256(resolved.manifest);
  if (actualManifestDigest !== resolved.manifestDigest) throw digestMismatch('manifest', resolved.manifestDigest, actualManifestDigest);
  if (ref.digest !== undefined && resolved.digest !== ref.digest) throw digestMismatch(`manifest of ${familiarString(ref)}`, ref.digest, resolved.digest);

  emit({ id: ref.tag ?? ref.digest ?? '', status: `Pulling from ${remoteName(ref.repository)}`, current: 0, total: 0 });
  const manifest = parseManifest(resolved.manifest, resolved.manifestMediaType);
  const configBytes = await fetchSmallBlob(ctx, resolved.repository, manifest.config, limits.maxConfigBytes, request.auth, signal);
  const config = parseImageConfig(configBytes, manifest.layers.length);
  const chains = chainIds(config.diffIds);

  const sizes = await pullLayers(ctx, { repository: resolved.repository, layers: manifest.layers, diffIds: config.diffIds, chains, auth: request.auth }, emit, signal);
  await ctx.content.put(resolved.manifest, { digest: resolved.manifestDigest, size: resolved.manifest.length });
  const index = resolved.index && (await keepIndexContent(ctx, {
    repository: resolved.repository,
    digest: resolved.digest,
    mediaType: resolved.index.mediaType,
    bytes: resolved.index.bytes,
    hostManifest: resolved.manifestDigest,
    allPlatforms: request.allPlatforms === true,
    auth: request.auth,
  }, emit, signal));

  const image: ImageRecord = {
    id: manifest.config.digest,
    config: configBytes,
    manifestDigest: resolved.manifestDigest,
    manifestMediaType: resolved.manifestMediaType,
    size: sizes.reduce((a, b) => a + b.size, 0),
    created: config.created,
    os: config.os,
    architecture: config.architecture,
    variant: config.variant,
    labels: config.labels,
    layers: manifest.layers.map((l, i) => {
      const diffSize = sizes[i]!.tarSize ?? ctx.images.knownDiffSize(config.diffIds[i]!);
      return { digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: config.diffIds[i]!, chainId: chains[i]!, ...(diffSize !== undefined && { diffSize }) };
    }),
    storedAt: Date.now(),
    ...(index && { index }),
  };
  const refs = namesFor(ref, resolved.digest, image.id);
  const { previous } = ctx.images.putImage(image, refs);
  const upToDate = previous.get(refs[0]!.name) === image.id;

  await ctx.events.pull(familiarString(ref), familiarRepository(ref.repository));
  emit({ id: '', status: `Digest: ${resolved.digest}`, current: 0, total: 0 });
  emit({
    id: '',
    status: upToDate ? `Status: Image is up to date for ${familiarString(ref)}` : `Status: Downloaded newer image for ${familiarString(ref)}`,
    current: 0,
    total: 0,
    image: viewOf(ctx.images, ctx.images.get(image.id)!),
  });
}

/** The tag (when pulled by tag) first, then the repo digest. */
function namesFor(ref: Reference, repoDigest: string, imageId: string): RefRecord[] {
  const byDigest: RefRecord = { name: canonicalString({ repository: ref.repository, digest: repoDigest }), repository: ref.repository, digest: repoDigest, imageId };
  if (ref.tag === undefined) return [byDigest];
  return [{ name: canonicalString({ repository: ref.repository, tag: ref.tag }), repository: ref.repository, tag: ref.tag, imageId }, byDigest];
}
