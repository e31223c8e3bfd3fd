import { once } from 'node:events';
import { Transform } from 'node:stream';
import { BerthError, errorKind } from '@berth/kit';
import type { ContentWriter } from './content-store.js';
import type { ImageContext } from './context.js';
import type { Semaphore } from './progress-queue.js';
import type { RegistryAuth } from './registry.js';
import type { ActiveLayer, UnpackResult } from './snapshotter.js';
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
}

/**
 * One layer of a pull: downloaded into the content store and unpacked into a fresh snapshot at
 * the same time, then checked (blob digest, then diff ID). The snapshot stays uncommitted: the
 * caller commits every layer once all of them are verified. A failure throws the snapshot away.
 */
export async function pullLayer(ctx: ImageContext, job: LayerJob, emit: Emit, slots: Semaphore): Promise<UnpackedLayer> {
  const id = shortDigest(job.descriptor.digest);
  const total = job.descriptor.size;
  const active = await ctx.snapshots.prepareLayer();
  try {
    if (!slots.free) emit({ id, status: 'Waiting', current: 0, total: 0 });
    // The slot covers the transfer only: waiting for lower layers (hard links into them) happens
    // outside it, so a layer never holds a slot that a layer below it needs.
    const { unpacking, progress } = await slots.run(() => transfer(ctx, job, active.dir, emit));
    emit({ id, status: 'Extracting', current: progress(), total });
    const result = await unpacking;
    emit({ id, status: 'Extracting', current: total, total });
    if (result.diffId !== job.diffId) {
      throw new BerthError('data_loss', `layer ${job.descriptor.digest}: uncompressed content is ${result.diffId}, the image config says ${job.diffId}`);
    }
    emit({ id, status: 'Pull complete', current: 0, total: 0 });
    return { active, size: result.size };
  } catch (err) {
    await ctx.snapshots.abortLayer(active);
    throw err;
  }
}

interface Transfer {
  /** Settles when the whole tar is applied. */
  unpacking: Promise<UnpackResult>;
  /** Compressed bytes the unpacker has taken so far. */
  progress(): number;
}

/**
 * Feeds the blob (from the content store, or the registry while it is written to the store) to
 * the unpacker as it arrives; returns once the blob is complete and verified.
 */
async function transfer(ctx: ImageContext, job: LayerJob, dir: string, emit: Emit): Promise<Transfer> {
  const { digest, size: total, mediaType } = job.descriptor;
  let consumed = 0;
  const blob = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, done) {
      consumed += chunk.length;
      done(null, chunk);
    },
  });
  const unpacking = ctx.unpacker.unpack(blob, mediaType, { dir, lowers: job.lowers, digest, signal: job.signal });
  let unpackState: { error: unknown } | 'running' | 'done' = 'running';
  const settled = unpacking.then(
    () => void (unpackState = 'done'),
    (error: unknown) => void (unpackState = { error }),
  );
  const push = async (chunk: Uint8Array) => {
    const state = unpackState;
    if (state === 'done') throw new BerthError('internal', 'the layer unpacker finished before the end of the blob');
    if (state !== 'running') {
      // A refusal of ours ends the transfer; a format error (bad gzip, bad tar) may be a corrupted
      // blob, so the download goes on to the digest check, which then names the real cause.
      if (state.error instanceof BerthError) throw state.error;
      return;
    }
    // An error on the blob stream comes from the unpacker's pipeline: `settled` reports it.
    if (!blob.write(chunk)) await Promise.race([once(blob, 'drain').catch(() => undefined), settled]);
  };
  try {
    const writer = await ctx.content.writer(`layer-${digest.slice(7)}`, { digest, size: total });
    if (await ctx.content.info(digest)) {
      await writer.close();
      for await (const chunk of await ctx.content.reader(digest)) await push(chunk as Buffer);
      emit({ id: shortDigest(digest), status: 'Download complete', current: 0, total: 0 });
    } else {
      await download(ctx, job, writer, push, emit);
    }
    blob.end();
  } catch (err) {
    blob.destroy(err as Error);
    await unpacking.catch(() => undefined); // the transfer's failure is the one to report
    throw err;
  }
  return { unpacking, progress: () => Math.min(consumed, total) };
}

async function download(ctx: ImageContext, job: LayerJob, writer: ContentWriter, push: (c: Uint8Array) => Promise<void>, emit: Emit): Promise<void> {
  const { digest, size: total } = job.descriptor;
  const id = shortDigest(digest);
  const step = Math.max(Math.floor(total / 50), 256 * 1024);
  try {
    let current = writer.offset;
    if (current > 0) for await (const chunk of writer.readExisting()) await push(chunk as Buffer);
    let reported = current;
    emit({ id, status: 'Downloading', current, total });
    for await (const chunk of ctx.registry.fetchBlob(job.repository, digest, writer.offset, job.auth, job.signal)) {
      await writer.write(chunk.data);
      await push(chunk.data);
      current += chunk.data.length;
      if (current - reported >= step || current === total) {
        emit({ id, status: 'Downloading', current, total });
        reported = current;
      }
    }
    emit({ id, status: 'Verifying Checksum', current: 0, total: 0 });
    await writer.commit();
    emit({ id, status: 'Download complete', current: 0, total: 0 });
  } catch (err) {
    if (keepsPartial(err)) await writer.close();
    else await writer.discard();
    throw err;
  }
}

/** Reads a small blob (a config), fetching it into the content store first when absent. */
export async function fetchSmallBlob(ctx: ImageContext, repository: string, desc: Descriptor, maxBytes: number, auth: RegistryAuth | undefined, signal: AbortSignal): Promise<Buffer> {
  if (desc.size > maxBytes) throw new BerthError('invalid_argument', `blob ${desc.digest} is ${desc.size} bytes, more than the limit of ${maxBytes}`);
  if (!(await ctx.content.info(desc.digest))) {
    const writer = await ctx.content.writer(`blob-${desc.digest.slice(7)}`, desc);
    try {
      if (!(await ctx.content.info(desc.digest))) {
        for await (const chunk of ctx.registry.fetchBlob(repository, desc.digest, writer.offset, auth, signal)) await writer.write(chunk.data);
        await writer.commit();
      }
    } catch (err) {
      if (!keepsPartial(err)) await writer.discard();
      throw err;
    } finally {
      await writer.close();
    }
  }
  return ctx.content.read(desc.digest, maxBytes);
}

/** A transfer cut short (connection lost, cancelled, timed out) is resumed later; other failures start afresh. */
function keepsPartial(err: unknown): boolean {
  return ['unavailable', 'cancelled', 'deadline_exceeded'].includes(errorKind(err));
}
