import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as tar from 'tar-stream';
import { BerthError } from '@berth/kit';
import type { ImageContext } from './context.js';
import { familiarRef, findImage } from './lookup.js';
import { MediaTypes, sha256 } from './manifest.js';
import { canonicalString, familiarRepository, parseReference } from './reference.js';
import type { ImageRecord, LayerRecord, RefRecord } from './types.js';

const EPOCH = new Date(0);
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
/** gRPC messages of the archive are gathered up to this size. */
const CHUNK = 256 * 1024;

interface Selected {
  image: ImageRecord;
  tags: RefRecord[];
}

/**
 * Docker's `save` (moby 25+): a tar that is both a docker-archive (manifest.json, repositories) and
 * an OCI image layout (oci-layout, index.json, blobs/sha256/…), with configs and uncompressed layer
 * tars as blobs, each written once. Layers are decompressed from the content store and checked
 * against their diff IDs on the way out. Streams as it writes.
 */
export async function* saveImages(ctx: ImageContext, references: string[], signal: AbortSignal): AsyncGenerator<Uint8Array> {
  if (references.length === 0) throw new BerthError('invalid_argument', 'no image to save');
  const selected = select(ctx, references);
  const pack = tar.pack();
  const writing = writeArchive(ctx, pack, [...selected.values()], signal).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  let parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of pack as AsyncIterable<Buffer>) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= CHUNK) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(parts, size);
  await writing;
  for (const { image } of selected.values()) await ctx.events.save(image.id);
}

/** Docker's selection: `name:tag` saves that tag, a bare repository all its tags, an id no tag. */
function select(ctx: ImageContext, references: string[]): Map<string, Selected> {
  const out = new Map<string, Selected>();
  const add = (image: ImageRecord, tag?: RefRecord) => {
    const entry = out.get(image.id) ?? { image, tags: [] };
    if (tag && !entry.tags.some((t) => t.name === tag.name)) entry.tags.push(tag);
    out.set(image.id, entry);
  };
  for (const input of references) {
    const repoTags = repositoryTags(ctx, input);
    if (repoTags.length > 0) {
      for (const ref of repoTags) add(ctx.images.get(ref.imageId)!, ref);
      continue;
    }
    const { image, ref } = findImage(ctx.images, input);
    add(image, ref?.tag !== undefined ? ctx.images.ref(canonicalString(ref)) : undefined);
  }
  return out;
}

function repositoryTags(ctx: ImageContext, input: string): RefRecord[] {
  let ref;
  try {
    ref = parseReference(input);
  } catch {
    return []; // an id, or not a name at all: findImage decides
  }
  if (ref.tag !== undefined || ref.digest !== undefined) return [];
  return ctx.images.list().flatMap((img) => ctx.images.refsOf(img.id).filter((r) => r.repository === ref.repository && r.tag !== undefined));
}

async function writeArchive(ctx: ImageContext, pack: tar.Pack, selected: Selected[], signal: AbortSignal): Promise<void> {
  const written = new Set<string>();
  const manifestJson: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const index: { schemaVersion: 2; mediaType: string; manifests: unknown[] } = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
  const blob = async (digest: string, bytes: Buffer) => {
    if (written.has(digest)) return;
    written.add(digest);
    await entry(pack, blobName(digest), bytes);
  };
  for (const { image, tags } of selected) {
    signal.throwIfAborted();
    await blob(image.id, image.config);
    const layers = [];
    for (const layer of image.layers) {
      const size = layer.diffSize ?? (await measure(ctx, layer, signal));
      if (!written.has(layer.diffId)) {
        written.add(layer.diffId);
        await layerEntry(ctx, pack, layer, size, signal);
      }
      layers.push({ mediaType: OCI_LAYER, digest: layer.diffId, size });
    }
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { mediaType: MediaTypes.ociConfig, digest: image.id, size: image.config.length }, layers }));
    const manifestDigest = sha256(manifest);
    await blob(manifestDigest, manifest);
    const names = tags.map(familiarRef);
    manifestJson.push({ Config: blobName(image.id), RepoTags: names.length > 0 ? names : null, Layers: image.layers.map((l) => blobName(l.diffId)) });
    const descriptor = { mediaType: MediaTypes.ociManifest, digest: manifestDigest, size: manifest.length };
    if (tags.length === 0) index.manifests.push(descriptor);
    for (const t of tags) {
      index.manifests.push({ ...descriptor, annotations: { 'io.containerd.image.name': canonicalString({ repository: t.repository, tag: t.tag! }), 'org.opencontainers.image.ref.name': t.tag! } });
      const top = image.layers.at(-1);
      if (top) (repositories[familiarRepository(t.repository)] ??= {})[t.tag!] = top.diffId.slice(7);
    }
  }
  await entry(pack, 'index.json', Buffer.from(JSON.stringify(index)));
  await entry(pack, 'manifest.json', Buffer.from(JSON.stringify(manifestJson)));
  await entry(pack, 'oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  if (Object.keys(repositories).length > 0) await entry(pack, 'repositories', Buffer.from(JSON.stringify(repositories)));
}

function blobName(digest: string): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

function entry(pack: tar.Pack, name: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: body.length, mode: 0o644, mtime: EPOCH }, body, (err) => (err ? reject(err) : resolve()));
  });
}

/** One layer tar, decompressed from its blob, checked against its diff ID as it goes out. */
async function layerEntry(ctx: ImageContext, pack: tar.Pack, layer: LayerRecord, size: number, signal: AbortSignal): Promise<void> {
  const hash = createHash('sha256');
  let done!: (err?: Error | null) => void;
  const finished = new Promise<void>((resolve, reject) => (done = (err) => (err ? reject(err) : resolve())));
  const sink = pack.entry({ name: blobName(layer.diffId), size, mode: 0o644, mtime: EPOCH }, done);
  const source = await ctx.content.openUncompressed(layer.digest, layer.mediaType, signal);
  for await (const chunk of source as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (!sink.write(chunk)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== layer.diffId) throw new BerthError('data_loss', `layer ${layer.digest}: stored content is ${actual}, expected ${layer.diffId}`);
  (sink as unknown as { end(): void }).end(); // streamx types demand an argument its end() does not need
  await finished;
}

/** The uncompressed size of a layer recorded before berth kept it: counted once, then stored. */
async function measure(ctx: ImageContext, layer: LayerRecord, signal: AbortSignal): Promise<number> {
  let size = 0;
  for await (const chunk of (await ctx.content.openUncompressed(layer.digest, layer.mediaType, signal)) as AsyncIterable<Buffer>) size += chunk.length;
  ctx.images.setDiffSize(layer.diffId, size);
  return size;
}
