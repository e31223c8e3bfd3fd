import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Duplex, PassThrough, pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Attr, BerthError, DEFAULT_PATH, withSpan } from '@berth/kit';
import { layerCompression, type Compression } from '../domain/manifest.js';
import type { LayerUnpacker, UnpackResult, UnpackTarget } from '../domain/snapshotter.js';
import { applyLayerTar } from './layer-applier.js';
import type { NodeTools } from './node-tools.js';

/**
 * blob → decompressor → meter (sha256 = diff ID, size limit) → tar parser → applier, all
 * streaming: a layer is applied while it downloads and never held whole in memory or on disk
 * uncompressed. The size limit stops a decompression bomb as soon as it is crossed.
 */
export class StreamingLayerUnpacker implements LayerUnpacker {
  constructor(
    private readonly tools: NodeTools,
    private readonly maxLayerBytes: number,
  ) {}

  async unpack(blob: Readable, mediaType: string, target: UnpackTarget): Promise<UnpackResult> {
    return withSpan('snapshot.Apply', { [Attr.Digest]: target.digest ?? '' }, async (span) => {
      const compression = layerCompression(mediaType);
      const meter = new Meter(this.maxLayerBytes);
      const decompress = decompressor(compression, target.signal);
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
      span.setAttribute(Attr.Bytes, meter.bytes);
      return { diffId: meter.digest(), size };
    });
  }
}

/** Hashes and counts the uncompressed tar, failing once it exceeds the limit. */
class Meter extends Transform {
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

interface Decompressor {
  stream: Duplex;
  /** Settles when the decompressor is done; rejects if it failed. */
  done: Promise<void>;
}

function decompressor(compression: Compression, signal?: AbortSignal): Decompressor {
  // gunzip checks the CRC and length trailer itself and errors the stream on a mismatch.
  if (compression === 'gzip') return { stream: createGunzip(), done: Promise.resolve() };
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
