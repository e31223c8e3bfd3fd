import { BerthError, errorKind } from '@berth/kit';
import type { ContentWriter } from './content-store.js';
import type { ImageContext } from './context.js';
import type { Semaphore } from './progress-queue.js';
import { IntoFileUnavailable, type RegistryAuth } from './registry.js';
import type { ActiveLayer, UnpackJob } from './snapshotter.js';
import type { Descriptor, PullProgress } from './types.js';

export interface LayerJob {
  repository: string;
  descriptor: Descriptor;
  diffId: string;
  /** Directories of the layers below, topmost first, once they are unpacked and verified. */
  lowers(): Promise<readonly string[]>;
  auth: RegistryAuth | undefined;
  signal: AbortSignal;
}

export type Emit = (progress: PullProgress) => void;

/** Docker's short layer id: the first 12 hex digits of the blob digest. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** A layer unpacked and verified, not yet committed. */
export interface UnpackedLayer {
  active: ActiveLayer;
  size: number;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

/**
 * One layer of a pull: downloaded into the content store and unpacked into a fresh snapshot at
 * the same time (the unpacker follows the ingest file as it grows), then checked (blob digest,
 * then diff ID). The snapshot stays uncommitted: the caller commits every layer once all of them
 * are verified. A failure throws the snapshot away.
 */
export async function pullLayer(ctx: ImageContext, job: LayerJob, emit: Emit, slots: Semaphore): Promise<UnpackedLayer> {
  const id = shortDigest(job.descriptor.digest);
  const total = job.descriptor.size;
  const active = await ctx.snapshots.prepareLayer();
  try {
    if (!slots.free) emit({ id, status: 'Waiting', current: 0, total: 0 });
    // The slot covers the transfer only: waiting for lower layers (hard links into them) happens
    // outside it, so a layer never holds a slot that a layer below it needs.
    const unpack = await slots.run(() => transfer(ctx, job, active.dir, emit));
    emit({ id, status: 'Extracting', current: Math.min(unpack.consumed, total), total });
    const result = await unpack.done.catch((err: unknown) => {
      // The blob is verified by now: bytes that do not unpack are the image's fault.
      throw err instanceof BerthError ? err : new BerthError('invalid_argument', `layer ${job.descriptor.digest} cannot be unpacked: ${(err as Error).message}`);
    });
    emit({ id, status: 'Extracting', current: total, total });
    if (result.diffId !== job.diffId) {
      throw new BerthError('data_loss', `layer ${job.descriptor.digest}: uncompressed content is ${result.diffId}, the image config says ${job.diffId}`);
    }
    emit({ id, status: 'Pull complete', current: 0, total: 0 });
    return { active, size: result.size, tarSize: result.tarSize };
  } catch (err) {
    await ctx.snapshots.abortLayer(active);
    throw err;
  }
}

/**
 * Starts the unpacker on the blob (the committed one, or the ingest file while it is written)
 * and returns once the blob is complete and verified; the unpacker may still be running.
 */
async function transfer(ctx: ImageContext, job: LayerJob, dir: string, emit: Emit): Promise<UnpackJob> {
  const { digest, size: total, mediaType } = job.descriptor;
  const target = { dir, lowers: job.lowers, digest, signal: job.signal };
  const writer = await ctx.content.writer(`layer-${digest.slice(7)}`, { digest, size: total });
  if (await ctx.content.info(digest)) {
    await writer.close();
    const unpack = ctx.unpacker.start(ctx.content.blobPath(digest), mediaType, target);
    unpack.end(total);
    emit({ id: shortDigest(digest), status: 'Download complete', current: 0, total: 0 });
    return unpack;
  }
  let unpack: UnpackJob;
  try {
    unpack = ctx.unpacker.start(writer.path, mediaType, target);
  } catch (err) {
    await writer.close();
    throw err;
  }
  let failure: { error: unknown } | undefined;
  unpack.done.catch((error: unknown) => void (failure = { error }));
  // A refusal of ours ends the transfer; a format error (bad gzip, bad tar) may be a corrupted
  // blob, so the download goes on to the digest check, which then names the real cause.
  const refused = () => (failure?.error instanceof BerthError ? failure.error : undefined);
  try {
    await download(ctx, job, writer, unpack, refused, emit);
  } catch (err) {
    unpack.abort(err as Error);
    await unpack.done.catch(() => undefined); // the transfer's failure is the one to report
    throw foreignLayerError(err, job);
  }
  return unpack;
}

async function download(ctx: ImageContext, job: LayerJob, writer: ContentWriter, unpack: UnpackJob, refused: () => Error | undefined, emit: Emit): Promise<void> {
  const id = shortDigest(job.descriptor.digest);
  const progress = downloadProgress(id, job.descriptor.size, writer.offset, emit);
  try {
    // From offset 0 the registry service verifies the digest (the stream fails otherwise); the
    // unpacker checks the same file's diff ID. A resumed ingest is hashed here, whole.
    if (writer.offset === 0) writer.trustSourceDigest();
    const filled = writer.offset === 0 && (await filledByRegistry(ctx, job, writer, unpack, refused, progress));
    if (!filled) await streamIn(ctx, job, writer, unpack, refused, progress);
    unpack.end(writer.flushed);
    emit({ id, status: 'Verifying Checksum', current: 0, total: 0 });
    await writer.commit();
    emit({ id, status: 'Download complete', current: 0, total: 0 });
  } catch (err) {
    if (keepsPartial(err)) await writer.close();
    else await writer.discard();
    throw err;
  }
}

/** Emits `Downloading` at `from` now, then every 2% of the blob (at least 256 KiB) and at its end. */
function downloadProgress(id: string, total: number, from: number, emit: Emit): (current: number) => void {
  const step = Math.max(Math.floor(total / 50), 256 * 1024);
  let reported = from;
  emit({ id, status: 'Downloading', current: from, total });
  return (current) => {
    if (current - reported < step && current !== total) return;
    emit({ id, status: 'Downloading', current, total });
    reported = current;
  };
}

/**
 * The registry service writes the ingest file itself (from offset 0): this service only follows
 * the count of bytes in the file. False, before any byte, when the registry service cannot
 * (streamIn() then brings the bytes through this service).
 */
async function filledByRegistry(ctx: ImageContext, job: LayerJob, writer: ContentWriter, unpack: UnpackJob, refused: () => Error | undefined, progress: (current: number) => void): Promise<boolean> {
  if (!ctx.registry.fetchBlobInto) return false;
  try {
    for await (const inFile of ctx.registry.fetchBlobInto(job.repository, job.descriptor.digest, writer.path, job.auth, job.signal)) {
      const refusal = refused();
      if (refusal) throw refusal;
      writer.adopt(inFile);
      unpack.grow(inFile);
      progress(inFile);
    }
    return true;
  } catch (err) {
    if (err instanceof IntoFileUnavailable) return false;
    throw err;
  }
}

/** The bytes through this service, from the writer's offset, into the ingest file. */
async function streamIn(ctx: ImageContext, job: LayerJob, writer: ContentWriter, unpack: UnpackJob, refused: () => Error | undefined, progress: (current: number) => void): Promise<void> {
  let current = writer.offset;
  let grown = writer.flushed;
  unpack.grow(grown);
  for await (const chunk of ctx.registry.fetchBlob(job.repository, job.descriptor.digest, writer.offset, job.auth, job.signal)) {
    const refusal = refused();
    if (refusal) throw refusal;
    await writer.write(chunk.data);
    if (writer.flushed > grown) unpack.grow((grown = writer.flushed));
    progress((current += chunk.data.length));
  }
  await writer.flush();
}

/** Reads a small blob (a config), fetching it into the content store first when absent. */
export async function fetchSmallBlob(ctx: ImageContext, repository: string, desc: Descriptor, maxBytes: number, auth: RegistryAuth | undefined, signal: AbortSignal): Promise<Buffer> {
  if (desc.size > maxBytes) throw new BerthError('invalid_argument', `blob ${desc.digest} is ${desc.size} bytes, more than the limit of ${maxBytes}`);
  await storeBlob(ctx, repository, desc, auth, signal);
  return ctx.content.read(desc.digest, maxBytes);
}

/**
 * Fetches a blob into the content store (verified on commit) unless it is there; nothing is
 * unpacked. Returns whether it was fetched. A transfer cut short keeps its bytes for a resume.
 */
export async function storeBlob(ctx: ImageContext, repository: string, desc: Descriptor, auth: RegistryAuth | undefined, signal: AbortSignal): Promise<boolean> {
  if (await ctx.content.info(desc.digest)) return false;
  const writer = await ctx.content.writer(`blob-${desc.digest.slice(7)}`, desc);
  try {
    if (await ctx.content.info(desc.digest)) return false;
    for await (const chunk of ctx.registry.fetchBlob(repository, desc.digest, writer.offset, auth, signal)) await writer.write(chunk.data);
    await writer.commit();
    return true;
  } catch (err) {
    if (!keepsPartial(err)) await writer.discard();
    throw err;
  } finally {
    await writer.close();
  }
}

/**
 * A foreign (non-distributable) layer names URLs besides the registry. berth asks the registry
 * only (it is the one service that speaks HTTP, and it speaks to registries): a registry that
 * lacks the blob gets a clear error naming the URLs rather than a bare "blob unknown".
 */
function foreignLayerError(err: unknown, job: LayerJob): unknown {
  const urls = job.descriptor.urls;
  if (!urls || errorKind(err) !== 'not_found') return err;
  return new BerthError('not_found', `foreign layer ${job.descriptor.digest} is not in the registry (${job.repository}), and berth does not download layers from their URLs (${urls.join(', ')}): push it to the registry with non-distributable artifacts allowed`, { cause: err });
}

/** A transfer cut short (connection lost, cancelled, timed out) is resumed later; other failures start afresh. */
function keepsPartial(err: unknown): boolean {
  return ['unavailable', 'cancelled', 'deadline_exceeded'].includes(errorKind(err));
}
