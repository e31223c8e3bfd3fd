import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Duplex, PassThrough, pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BerthError } from '@berth/kit/errors';
import { DEFAULT_PATH } from '@berth/kit/command';
import { layerCompression, type Compression } from '../domain/manifest.js';
import type { UnpackResult } from '../domain/snapshotter.js';
import { GunzipRaw } from './gunzip-raw.js';
import { applyLayerTar } from './layer-applier.js';
import type { NodeTools } from './node-tools.js';

export interface StreamTarget {
  dir: string;
  /** Directories of the layers below, topmost first, once they are committed. */
  lowers(): Promise<readonly string[]>;
  signal?: AbortSignal;
}

/**
 * blob → decompressor → meter (sha256 = diff ID, size limit) → tar parser → applier, all
 * streaming: a layer is never held whole in memory or on disk uncompressed. The size limit stops
 * a decompression bomb as soon as it is crossed. This is the engine; `TailUnpack` feeds it from a
 * growing file, in a worker thread (worker-unpacker.ts) or in this one. It imports only kit's
 * errors and command runner, so a worker loads little.
 */
export class StreamingLayerUnpacker {
  constructor(
    private readonly tools: NodeTools,
    private readonly maxLayerBytes: number,
  ) {}

  async unpack(blob: Readable, mediaType: string, target: StreamTarget): Promise<UnpackResult> {
    const compression = layerCompression(mediaType);
    const meter = new Meter(this.maxLayerBytes);
    // The caller checks the diff ID this returns against one it trusts: gzip's CRC is not needed.
    const decompress = decompressor(compression, target.signal, { digestChecked: true });
    const tarStream = pipeline(blob, decompress.stream, meter, (err) => {
      if (err) tarStream.destroy(err);
    }) as Readable;
    const applying = applyLayerTar(tarStream, {
      root: target.dir,
      lowers: target.lowers,
      tools: this.tools,
      ...(target.signal && { signal: target.signal }),
    });
    // A decompressor that exits non-zero after its last byte (a bad zstd checksum) fails the layer too.
    const [{ size }] = await Promise.all([applying, decompress.done]);
    return { diffId: meter.digest(), size, tarSize: meter.bytes };
  }
}

/** Hashes and counts the uncompressed tar, failing once it exceeds the limit. */
export class Meter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(new BerthError('resource_exhausted', `layer is larger than the limit of ${this.limit} bytes uncompressed`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

export interface Decompressor {
  stream: Duplex;
  /** Settles when the decompressor is done; rejects if it failed. */
  done: Promise<void>;
}

/**
 * Output chunk of gunzip. zlib's default (16 KiB) costs a thread-pool round trip per 16 KiB:
 * 200 MB of layers took 1.7 s to inflate with it, 0.27 s with 1 MiB (bench/pull.mjs).
 */
const INFLATE_CHUNK = 1 << 20;

export interface DecompressOptions {
  /**
   * The caller checks the output's sha256 against a diff ID it trusts (and the blob's against its
   * digest), so gzip's CRC-32 adds nothing and is skipped (gunzip-raw.ts: 3.5% of a pull's CPU).
   * Otherwise (a tar someone uploads, whose diff ID is computed from the output) gunzip checks it.
   */
  digestChecked?: boolean;
}

export function decompressor(compression: Compression, signal?: AbortSignal, options: DecompressOptions = {}): Decompressor {
  if (compression === 'gzip') {
    // Both check the length trailer (gunzip the CRC too) and error the stream on a mismatch.
    const stream = options.digestChecked ? new GunzipRaw({ chunkSize: INFLATE_CHUNK }) : createGunzip({ chunkSize: INFLATE_CHUNK });
    return { stream, done: Promise.resolve() };
  }
  if (compression === 'none') return { stream: new PassThrough(), done: Promise.resolve() };
  return zstdDecompressor(signal);
}

/** Node 20's zlib has no zstd: `zstd -dc` from stdin to stdout, argv only, minimal env. */
function zstdDecompressor(signal?: AbortSignal): Decompressor {
  const child = spawn('zstd', ['-d', '-c', '-q'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: DEFAULT_PATH },
    ...(signal && { signal }),
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err) => {
      const e = new BerthError('unavailable', `zstd: ${err.message}`, { cause: err });
      duplex.destroy(e);
      reject(e);
    });
    child.once('close', (code, sig) => {
      if (code === 0) return resolve();
      const e = new BerthError('invalid_argument', `zstd -d: ${stderr.trim() || (sig ? `killed by ${sig}` : `exit status ${code}`)}`);
      duplex.destroy(e);
      reject(e);
    });
  });
  // Torn down before zstd wrote its last byte (an error downstream): stop it. After a complete
  // output it exits by itself and its exit status is awaited through `done`.
  let complete = false;
  child.stdout.once('end', () => (complete = true));
  duplex.once('close', () => {
    if (!complete && child.exitCode === null) child.kill('SIGKILL');
  });
  return { stream: duplex, done };
}
