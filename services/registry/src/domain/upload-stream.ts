import { BerthError } from '@berth/kit';
import { DigestVerifier } from './digest.js';

/** The bytes of one blob to push, in order; exactly `size` of them, hashing to `digest`. */
export interface BlobSource {
  digest: string;
  size: number;
  chunks: AsyncIterable<Uint8Array>;
}

/** The source's bytes as Buffers, failing (before the last byte leaves) on a wrong size or digest. */
export async function* verifiedBytes(source: BlobSource): AsyncGenerator<Buffer> {
  const verifier = new DigestVerifier(source.digest);
  const check = () => {
    try {
      verifier.verify();
    } catch (err) {
      // The caller's bytes do not match the caller's digest: its mistake, not lost data.
      throw new BerthError('invalid_argument', `blob ${source.digest}: ${(err as Error).message}`);
    }
  };
  let size = 0;
  for await (const raw of source.chunks) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    size += chunk.length;
    if (size > source.size) throw new BerthError('invalid_argument', `blob ${source.digest}: more than the announced ${source.size} bytes`);
    verifier.update(chunk);
    if (size === source.size) check();
    yield chunk;
  }
  if (size !== source.size) throw new BerthError('invalid_argument', `blob ${source.digest}: got ${size} of ${source.size} bytes`);
  if (size === 0) check();
}

/** Regroups a byte stream into chunks of exactly `size` bytes (the last one shorter). */
export async function* rechunk(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const chunk of source) {
    let rest = chunk;
    while (held + rest.length >= size) {
      const take = size - held;
      parts.push(rest.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      held = 0;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      parts.push(rest);
      held += rest.length;
    }
  }
  if (held > 0) yield Buffer.concat(parts);
}
