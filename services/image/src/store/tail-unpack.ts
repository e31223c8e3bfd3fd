import { closeSync, openSync, read } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BerthError } from '@berth/kit/errors';
import type { LayerUnpacker, UnpackJob, UnpackResult, UnpackTarget } from '../domain/snapshotter.js';
import { StreamingLayerUnpacker } from './layer-unpacker.js';
import type { NodeTools } from './node-tools.js';

const readAt = promisify(read);

/**
 * Reads of the blob file. Large reads (from the page cache: the bytes were just written) feed
 * gunzip and the tar parser in few, big pieces; zlib pays a thread-pool round trip per piece.
 */
const READ_BYTES = 1 << 20;

export interface TailUnpackOptions {
  tools: NodeTools;
  maxLayerBytes: number;
  /** Called with the bytes read so far, at most every READ_BYTES and at the end. */
  onProgress?: (consumed: number) => void;
}

/**
 * One layer unpacked from an open blob file that may still be growing: reads follow `grow()`,
 * and the stream ends at `end()`. The file descriptor belongs to the caller.
 */
export class TailUnpack implements UnpackJob {
  consumed = 0;
  readonly done: Promise<UnpackResult>;
  private available = 0;
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly stop = new AbortController();

  constructor(
    private readonly fd: number,
    mediaType: string,
    target: Omit<UnpackTarget, 'digest'>,
    options: TailUnpackOptions,
  ) {
    const engine = new StreamingLayerUnpacker(options.tools, options.maxLayerBytes);
    const signal = this.stop.signal;
    const outer = target.signal;
    if (outer?.aborted) this.stop.abort(outer.reason);
    else outer?.addEventListener('abort', () => this.stop.abort(outer.reason), { once: true });
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
    const source = Readable.from(this.chunks(signal, options.onProgress), { objectMode: false });
    this.done = engine.unpack(source, mediaType, { dir: target.dir, lowers: target.lowers, signal });
  }

  /** `done` then rejects as cancelled (the caller reports its own reason). */
  abort(reason: Error): void {
    this.stop.abort(new BerthError('cancelled', reason.message, { cause: reason }));
  }

  grow(size: number): void {
    if (size <= this.available) return;
    this.available = size;
    this.wake?.();
  }

  end(size: number): void {
    this.available = size;
    this.ended = true;
    this.wake?.();
  }

  private async *chunks(signal: AbortSignal, onProgress?: (n: number) => void): AsyncGenerator<Buffer> {
    for (;;) {
      signal.throwIfAborted();
      if (this.consumed < this.available) {
        const want = Math.min(READ_BYTES, this.available - this.consumed);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await readAt(this.fd, buf, 0, want, this.consumed);
        if (bytesRead === 0) throw new BerthError('data_loss', `blob file ends at ${this.consumed} bytes, ${this.available} were written`);
        this.consumed += bytesRead;
        onProgress?.(this.consumed);
        yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * Unpacks on this thread (tests, or hosts where a worker is not wanted); the applier's
 * filesystem calls are synchronous (layer-applier.ts), so they block this thread.
 */
export class InThreadLayerUnpacker implements LayerUnpacker {
  constructor(private readonly options: TailUnpackOptions) {}

  start(file: string, mediaType: string, target: UnpackTarget): UnpackJob {
    const fd = openSync(file, 'r');
    const job = new TailUnpack(fd, mediaType, target, this.options);
    const closeFd = () => closeSync(fd);
    job.done.then(closeFd, closeFd);
    return job;
  }
}
