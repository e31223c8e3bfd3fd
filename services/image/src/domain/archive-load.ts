import { invalidArgument } from '@berth/kit';
import { readArchive, type ArchiveFiles } from './archive-read.js';
import type { ImageContext } from './context.js';
import { viewOf } from './lookup.js';
import { heldIndexContent } from './index-content.js';
import { chainIds, isIndexMediaType, MediaTypes, parseImageConfig, parseIndex, parseManifest, sha256 } from './manifest.js';
import { formatPlatform, hostPlatform, samePlatform } from '@berth/kit';
import { pullLayers } from './pull-layers.js';
import { canonicalString, familiarString, parseReference, withDefaultTag, type Reference } from './reference.js';
import type { Descriptor, ImageRecord, ImageView, IndexRecord } from './types.js';

export interface LoadResult {
  /** Docker's lines: "Loaded image: busybox:latest", "Loaded image ID: sha256:…". */
  messages: string[];
  images: ImageView[];
}

/** One image of an archive, ready to be unpacked and recorded. */
interface Plan {
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestMediaType: string;
  layers: Descriptor[];
  names: Reference[];
  /** The multi-platform index the image is the host's platform of, kept whole. */
  index?: IndexRecord;
}

/**
 * Docker's `load`: a docker-archive (manifest.json) or an OCI archive (index.json), gzip or plain.
 * Its files go to the content store first (verified by digest); then each image's layers are
 * unpacked and checked against the config's diff IDs exactly as for a pull (shared layers are
 * not unpacked twice), and the image and its tags recorded. A tag that named another image moves,
 * as with Docker, which says so.
 */
export function loadImages(ctx: ImageContext, source: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<LoadResult> {
  return ctx.locks.gc.withShared(async () => {
    const files = await readArchive(ctx.content, source, ctx.limits.maxManifestBytes, signal);
    // A multi-platform image is only in index.json (manifest.json lists one platform's images).
    const plans = files.documents.has('manifest.json') && !holdsIndex(files) ? await dockerPlans(ctx, files) : await ociPlans(ctx, files);
    if (plans.length === 0) throw invalidArgument('the archive holds no image: no manifest.json, or an index.json without manifests');
    const result: LoadResult = { messages: [], images: [] };
    for (const plan of plans) await loadOne(ctx, plan, result, signal);
    return result;
  });
}

async function loadOne(ctx: ImageContext, plan: Plan, result: LoadResult, signal: AbortSignal): Promise<void> {
  const info = parseImageConfig(plan.config, plan.layers.length);
  for (const l of plan.layers) if (!(await ctx.content.info(l.digest))) throw invalidArgument(`the archive lacks layer ${l.digest}`);
  const chains = chainIds(info.diffIds);
  const manifestDigest = sha256(plan.manifest);
  await ctx.content.put(plan.manifest, { digest: manifestDigest, size: plan.manifest.length });
  const sizes = await pullLayers(ctx, { repository: '', layers: plan.layers, diffIds: info.diffIds, chains, auth: undefined }, () => undefined, signal);
  const image: ImageRecord = {
    id: plan.configDigest,
    config: plan.config,
    manifestDigest,
    manifestMediaType: plan.manifestMediaType,
    size: sizes.reduce((a, b) => a + b.size, 0),
    created: info.created,
    os: info.os,
    architecture: info.architecture,
    variant: info.variant,
    labels: info.labels,
    layers: plan.layers.map((l, i) => {
      const diffSize = sizes[i]!.tarSize ?? ctx.images.knownDiffSize(info.diffIds[i]!);
      return { digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: info.diffIds[i]!, chainId: chains[i]!, ...(diffSize !== undefined && { diffSize }) };
    }),
    storedAt: Date.now(),
    ...(plan.index && { index: plan.index }),
  };
  const refs = plan.names.map((r) => ({ name: canonicalString(r), repository: r.repository, tag: r.tag!, imageId: image.id }));
  const { previous } = ctx.images.putImage(image, refs);
  for (const r of plan.names) {
    const before = previous.get(canonicalString(r));
    if (before !== undefined && before !== image.id) result.messages.push(`The image ${familiarString(r)} already exists, renaming the old one with ID ${before} to empty string`);
    result.messages.push(`Loaded image: ${familiarString(r)}`);
  }
  if (plan.names.length === 0) result.messages.push(`Loaded image ID: ${image.id}`);
  result.images.push(viewOf(ctx.images, ctx.images.get(image.id)!));
  await ctx.events.load(image.id);
}

/** docker-archive: manifest.json lists each image's config file, tags and layer tars. */
async function dockerPlans(ctx: ImageContext, files: ArchiveFiles): Promise<Plan[]> {
  const entries = parseJson(files.documents.get('manifest.json')!, 'manifest.json') as Array<{ Config?: unknown; RepoTags?: unknown; Layers?: unknown }>;
  if (!Array.isArray(entries)) throw invalidArgument('manifest.json is not a list');
  const plans: Plan[] = [];
  for (const e of entries) {
    if (typeof e.Config !== 'string' || !Array.isArray(e.Layers)) throw invalidArgument('manifest.json: an entry lacks Config or Layers');
    const cfg = fileOf(files, e.Config);
    const config = await ctx.content.read(cfg.digest, ctx.limits.maxConfigBytes);
    const layers: Descriptor[] = [];
    for (const p of e.Layers as unknown[]) {
      const b = fileOf(files, String(p));
      layers.push({ mediaType: await sniffLayerType(ctx, b.digest), digest: b.digest, size: b.size });
    }
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.dockerManifest, config: { mediaType: MediaTypes.dockerConfig, size: config.length, digest: cfg.digest }, layers }));
    const names = (Array.isArray(e.RepoTags) ? (e.RepoTags as unknown[]) : []).map((t) => withDefaultTag(parseReference(String(t))));
    plans.push({ config, configDigest: cfg.digest, manifest, manifestMediaType: MediaTypes.dockerManifest, layers, names });
  }
  return plans;
}

/**
 * oci-archive: index.json's manifests, named by annotation. An entry that is itself an index (a
 * multi-platform image) loads as its host platform's image, and keeps the index and all of its
 * content that the archive holds (every platform's, from `docker save` of a complete image).
 */
async function ociPlans(ctx: ImageContext, files: ArchiveFiles): Promise<Plan[]> {
  const raw = files.documents.get('index.json');
  if (!raw) return [];
  const index = parseJson(raw, 'index.json') as { manifests?: Array<Descriptor & { annotations?: Record<string, string> }> };
  const byManifest = new Map<string, Plan>();
  for (const d of index.manifests ?? []) {
    const nested = isIndexMediaType(d.mediaType);
    const desc = nested ? await forHost(ctx, d) : d;
    const manifest = await ctx.content.read(desc.digest, ctx.limits.maxManifestBytes);
    const plan = byManifest.get(desc.digest) ?? (await ociPlan(ctx, manifest, desc.mediaType));
    if (nested) plan.index = await heldIndexContent(ctx, d.digest, d.mediaType);
    const name = nameOf(d.annotations ?? {});
    if (name && !plan.names.some((n) => canonicalString(n) === canonicalString(name))) plan.names.push(name);
    byManifest.set(desc.digest, plan);
  }
  return [...byManifest.values()];
}

async function ociPlan(ctx: ImageContext, manifest: Buffer, mediaType: string): Promise<Plan> {
  const m = parseManifest(manifest, mediaType);
  const config = await ctx.content.read(m.config.digest, ctx.limits.maxConfigBytes);
  return { config, configDigest: m.config.digest, manifest, manifestMediaType: mediaType, layers: m.layers, names: [] };
}

/** The manifest of a nested index for this host: its exact platform, else the same os and architecture. */
async function forHost(ctx: ImageContext, d: Descriptor): Promise<Descriptor> {
  const entries = parseIndex(await ctx.content.read(d.digest, ctx.limits.maxManifestBytes), `index ${d.digest}`);
  const host = hostPlatform();
  const candidates = entries.filter((e) => e.platform && e.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
  const chosen =
    candidates.find((e) => samePlatform(e.platform!, host)) ??
    candidates.find((e) => samePlatform({ ...e.platform!, variant: '' }, { ...host, variant: '' }));
  if (!chosen) throw invalidArgument(`the archive's index ${d.digest} has no image for ${formatPlatform(host)}`);
  return chosen;
}

/** Whether index.json lists an index: a multi-platform image, which only the OCI side describes whole. */
function holdsIndex(files: ArchiveFiles): boolean {
  const raw = files.documents.get('index.json');
  if (!raw) return false;
  const index = parseJson(raw, 'index.json') as { manifests?: unknown };
  return Array.isArray(index.manifests) && index.manifests.some((m) => isIndexMediaType(String((m as { mediaType?: unknown } | null)?.mediaType)));
}

/** containerd's full name, else an OCI ref.name that is a whole reference (a bare tag names nothing). */
function nameOf(annotations: Record<string, string>): Reference | undefined {
  const full = annotations['io.containerd.image.name'] ?? annotations['org.opencontainers.image.ref.name'];
  if (!full || !/[:/]/.test(full)) return undefined;
  const ref = withDefaultTag(parseReference(full));
  return ref.tag !== undefined ? ref : undefined;
}

function fileOf(files: ArchiveFiles, name: string): { digest: string; size: number } {
  const found = files.blobs.get(name.replace(/^(\.\/)+|^\/+/, ''));
  if (!found) throw invalidArgument(`the archive lacks ${name}`);
  return found;
}

/** A docker-archive's layer file is a plain tar, or (older tools) gzip or zstd: the magic says. */
async function sniffLayerType(ctx: ImageContext, digest: string): Promise<string> {
  const stream = await ctx.content.reader(digest);
  let head = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    head = Buffer.concat([head, chunk]);
    if (head.length >= 4) break;
  }
  stream.destroy();
  if (head[0] === 0x1f && head[1] === 0x8b) return 'application/vnd.docker.image.rootfs.diff.tar.gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'application/vnd.oci.image.layer.v1.tar+zstd';
  return 'application/vnd.docker.image.rootfs.diff.tar';
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`${what} is not valid JSON`, err);
  }
}
