import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { BerthError } from '@berth/kit/errors';
import type { ContentStore } from '../domain/content-store.js';
import type { LayerWriter, StoredLayer } from '../domain/snapshotter.js';
import type { Compression } from '../domain/manifest.js';
import { decompressor, Meter } from './layer-unpacker.js';

/** gzip output chunk: the same 1 MiB as the unpacker's inflate, for the same reason. */
const DEFLATE_CHUNK = 1 << 20;

/**
 * Stores a layer tar (plain, gzip or zstd: the first bytes say) as a gzip blob: decompress →
 * meter (diff ID, uncompressed size, the layer size limit) → gzip → the content store (which
 * hashes it). A gzip input is re-compressed too, so every layer berth makes is the same kind
 * of blob and its diff ID is computed here rather than trusted. Nothing is kept on failure.
 */
export class GzipLayerWriter implements LayerWriter {
  constructor(
    private readonly content: ContentStore,
    private readonly maxLayerBytes: number,
  ) {}

  async store(source: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<StoredLayer> {
    const { compression, stream } = await sniff(source);
    const decompress = decompressor(compression, signal);
    const meter = new Meter(this.maxLayerBytes);
    const gzip = createGzip({ chunkSize: DEFLATE_CHUNK });
    const piping = pipeline(Readable.from(stream), decompress.stream, meter, gzip, { signal });
    const [stored] = await Promise.all([this.content.putStream(gzip as AsyncIterable<Uint8Array>), piping, decompress.done]).catch((err: unknown) => {
      gzip.destroy();
      throw err instanceof BerthError ? err : new BerthError('invalid_argument', `layer tar cannot be read: ${(err as Error).message}`, { cause: err });
    });
    return { digest: stored.digest, size: stored.size, diffId: meter.digest(), tarSize: meter.bytes };
  }
}

/** Reads the first bytes to tell gzip (1f 8b) and zstd (28 b5 2f fd) from a plain tar. */
async function sniff(source: AsyncIterable<Uint8Array>): Promise<{ compression: Compression; stream: AsyncIterable<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  const held: Uint8Array[] = [];
  while (head.length < 4) {
    const n = await it.next();
    if (n.done) break;
    held.push(n.value);
    head = Buffer.concat([head, n.value]);
  }
  const compression: Compression =
    head[0] === 0x1f && head[1] === 0x8b ? 'gzip' : head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528 ? 'zstd' : 'none';
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield* held;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  return { compression, stream: rest() };
}
