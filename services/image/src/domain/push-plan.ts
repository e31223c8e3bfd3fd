import { BerthError, notFound } from '@berth/kit';
import { isIndexMediaType, parseImageConfig, parseIndex, readManifestDescriptors, type IndexEntry } from './manifest.js';
import { formatPlatform, samePlatform } from '@berth/kit';
import type { PushRegistryDeps } from './push-registry.js';
import type { Descriptor, ImageRecord, Platform } from './types.js';

/** One manifest to push, with the blobs it names. */
export interface ManifestPush {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** "linux/arm64", as errors name it. */
  platform: string;
  config: Descriptor;
  /** Bottom first, each with its progress id (the short diff ID when the config tells it). */
  layers: Array<{ descriptor: Descriptor; id: string }>;
}

/**
 * What a push sends: the blobs of `manifests`, then, with `index`, each manifest by digest and
 * the index under the tag, else the one manifest under the tag. `fromIndex` plans (an index, or
 * one platform chosen from it) may lack content a default pull did not fetch: `absent` names the
 * platforms whose manifest is not here; `checkAvailable` finds those whose blobs are neither here
 * nor in the registry.
 */
export interface PushPlan {
  manifests: ManifestPush[];
  index?: { digest: string; mediaType: string; bytes: Buffer };
  fromIndex: boolean;
  absent: string[];
}

const ATTESTATION = 'attestation-manifest';
const FOREIGN = /foreign|nondistributable/;

/**
 * Plans the push of `image` (known locally as `name`): its whole index when it came from one
 * (Docker's containerd store pushes the image's target), else its manifest; with `platform`, only
 * the manifest of exactly that platform (moby's `platforms.OnlyStrict`), pushed as a plain image.
 */
export async function planPush(deps: PushRegistryDeps, image: ImageRecord, name: string, platform: Platform | undefined): Promise<PushPlan> {
  if (!image.index) {
    if (platform && !samePlatform(platform, image)) {
      throw notFound(`no suitable image manifest found for platform ${formatPlatform(platform)}: ${name} is ${formatPlatform(image)}`);
    }
    const bytes = await readDocument(deps, image.manifestDigest);
    if (!bytes) throw new BerthError('failed_precondition', `the manifest of ${name} (${image.manifestDigest}) is not in the content store`);
    const own = await manifestPush(deps, { digest: image.manifestDigest, mediaType: image.manifestMediaType }, bytes, formatPlatform(image), image);
    return { manifests: [own], fromIndex: false, absent: [] };
  }
  const indexBytes = await readDocument(deps, image.index.digest);
  if (!indexBytes) throw new BerthError('failed_precondition', `the index of ${name} (${image.index.digest}) is not in the content store`);
  const entries = parseIndex(indexBytes, `index ${image.index.digest}`);
  const chosen = platform ? [choosePlatform(entries, platform, name)] : entries;
  const plan: PushPlan = { manifests: [], fromIndex: true, absent: [], ...(!platform && { index: { digest: image.index.digest, mediaType: image.index.mediaType, bytes: indexBytes } }) };
  for (const entry of chosen) {
    if (isIndexMediaType(entry.mediaType)) throw new BerthError('failed_precondition', `${name}: nested indexes (${entry.digest}) cannot be pushed`);
    const bytes = await readDocument(deps, entry.digest);
    if (!bytes) plan.absent.push(labelOf(entry, entries));
    else plan.manifests.push(await manifestPush(deps, entry, bytes, labelOf(entry, entries), entry.digest === image.manifestDigest ? image : undefined));
  }
  return plan;
}

/**
 * Throws, before anything is pushed, when some platform's content is neither here nor already in
 * `repository`: the registry would refuse the index (MANIFEST_BLOB_UNKNOWN) after its blobs were
 * sent. Only blobs missing locally are asked about (HEAD), so a complete local image costs nothing.
 */
export async function checkAvailable(deps: PushRegistryDeps, plan: PushPlan, name: string, repository: string, ask: (digest: string) => Promise<boolean>): Promise<void> {
  const missing = new Set(plan.absent);
  for (const m of plan.manifests) {
    for (const d of [m.config, ...m.layers.map((l) => l.descriptor)]) {
      if (missing.has(m.platform) || FOREIGN.test(d.mediaType) || (await deps.content.info(d.digest))) continue;
      if (!(await ask(d.digest))) missing.add(m.platform);
    }
  }
  if (missing.size === 0) return;
  const platforms = [...missing];
  const one = plan.manifests.find((m) => !missing.has(m.platform) && !m.platform.startsWith('attestation'))?.platform ?? 'linux/amd64';
  throw new BerthError(
    'failed_precondition',
    `cannot push ${name}: the content of ${platforms.length === 1 ? 'platform' : 'platforms'} ${platforms.join(', ')} is not in the local content store ` +
      `(nor in ${repository}); pull every platform first (berth pull --all-platforms), or push one platform ` +
      `(docker push --platform ${one} ${name}); nothing was pushed`,
  );
}

async function manifestPush(deps: PushRegistryDeps, desc: { digest: string; mediaType: string }, bytes: Buffer, platform: string, image: ImageRecord | undefined): Promise<ManifestPush> {
  const m = readManifestDescriptors(bytes, desc.mediaType);
  const diffIds = image ? image.layers.map((l) => l.diffId) : await configDiffIds(deps, m.config, m.layers.length);
  const layers = m.layers.map((descriptor, i) => ({ descriptor, id: shortHex(diffIds?.[i] ?? descriptor.digest) }));
  return { digest: desc.digest, mediaType: desc.mediaType, bytes, platform, config: m.config, layers };
}

/** The diff IDs of another platform's config, if it is here and an image config (not an attestation's). */
async function configDiffIds(deps: PushRegistryDeps, config: Descriptor, layerCount: number): Promise<string[] | undefined> {
  if (!(await deps.content.info(config.digest))) return undefined;
  try {
    return parseImageConfig(await deps.content.read(config.digest, deps.maxManifestBytes), layerCount).diffIds;
  } catch (err) {
    deps.logger.debug({ digest: config.digest, err: (err as Error).message }, 'not an image config: layers shown by blob digest');
    return undefined;
  }
}

function choosePlatform(entries: IndexEntry[], platform: Platform, name: string): IndexEntry {
  const images = entries.filter((e) => e.platform && e.annotations?.['vnd.docker.reference.type'] !== ATTESTATION);
  const found = images.find((e) => samePlatform(e.platform!, platform));
  if (found) return found;
  const has = images.map((e) => formatPlatform(e.platform!)).join(', ');
  throw notFound(`no suitable image manifest found for platform ${formatPlatform(platform)}: ${name} has ${has || 'no platform manifests'}`);
}

/** "linux/arm64", or "attestation for linux/amd64" for buildx's attestation manifests. */
function labelOf(entry: IndexEntry, entries: IndexEntry[]): string {
  if (entry.annotations?.['vnd.docker.reference.type'] === ATTESTATION) {
    const of = entries.find((e) => e.digest === entry.annotations?.['vnd.docker.reference.digest']);
    return `attestation for ${of?.platform ? formatPlatform(of.platform) : entry.digest}`;
  }
  return entry.platform ? formatPlatform(entry.platform) : entry.digest;
}

async function readDocument(deps: PushRegistryDeps, digest: string): Promise<Buffer | undefined> {
  if (!(await deps.content.info(digest))) return undefined;
  return deps.content.read(digest, deps.maxManifestBytes);
}

/** Docker names a layer by the first 12 hex digits of its diff ID. */
function shortHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}
