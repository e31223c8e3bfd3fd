import { Duplex } from 'node:stream';
import { createInflateRaw, type InflateRaw } from 'node:zlib';

/** Header flags (RFC 1952 2.3.1). FTEXT (1) says nothing about the bytes and is ignored. */
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const RESERVED = 0xe0;
const TRAILER = 8;
/** A longer header (a file name with no end, say) fails rather than being held in memory whole. */
const MAX_HEADER = 1 << 20;

export interface GunzipRawOptions {
  /** Output chunk of the inflater (zlib's chunkSize). */
  chunkSize?: number;
}

/**
 * gunzip that does not compute CRC-32: for bytes whose digest and uncompressed digest are
 * checked anyway, where the CRC adds nothing and costs half the CPU of inflating incompressible
 * data (200 MB: 120 ms with gunzip, 60 ms with this; 3.5% of a pull's CPU). The member headers
 * and trailers are read here and the deflate body inflated raw (raw inflate computes no check
 * value); ISIZE, the length in the trailer, is still checked, and the header CRC of FHCRC is
 * skipped like the body's. Multi-member streams and trailing bytes are handled as Node's gunzip
 * does: after a member, a zero byte ends the stream (it and all that follows are ignored: padding)
 * and any other byte must begin another member. Errors are plain Errors with zlib's codes
 * (Z_DATA_ERROR, Z_BUF_ERROR for a truncated stream), as gunzip's are.
 *
 * The trailer follows the deflate data, which only the inflater can find the end of. zlib stops
 * exactly after the final block and Node's zlib stream counts the input its engine consumed in
 * `bytesWritten` (public, and updated before a write's callback); the rest of the chunk written
 * is the trailer and whatever comes after it. One chunk is written at a time, so that rest is a
 * tail of the chunk in hand. (The alternatives: the handle's internal counters, or a sync inflate
 * that cannot stream.)
 */
export class GunzipRaw extends Duplex {
  private state: 'header' | 'body' | 'trailer' | 'between' | 'done' = 'header';
  /** Bytes of a header or trailer not yet complete. */
  private held: Buffer = Buffer.alloc(0);
  private inflate: InflateRaw | undefined;
  /** Output of the current member, for ISIZE. */
  private memberBytes = 0;

  constructor(private readonly options: GunzipRawOptions = {}) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.consume(chunk).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    // Ended between members or in the padding: complete. Anywhere else: truncated.
    if (this.state !== 'between' && this.state !== 'done') return done(gzipError('unexpected end of file', 'Z_BUF_ERROR'));
    this.push(null);
    done();
  }

  override _read(): void {
    this.inflate?.resume();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.inflate?.destroy();
    done(err);
  }

  private async consume(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      switch (this.state) {
        case 'header': {
          const head = this.joinHeld(rest);
          const length = headerLength(head);
          if (length === undefined) {
            if (head.length > MAX_HEADER) throw gzipError(`header longer than ${MAX_HEADER} bytes`);
            this.held = Buffer.from(head);
            return;
          }
          rest = head.subarray(length);
          this.startMember();
          this.state = 'body';
          break;
        }
        case 'body': {
          const used = await this.feed(rest);
          if (used === rest.length) return;
          await this.memberEnd();
          rest = rest.subarray(used);
          this.state = 'trailer';
          break;
        }
        case 'trailer': {
          const tail = this.joinHeld(rest);
          if (tail.length < TRAILER) {
            this.held = Buffer.from(tail);
            return;
          }
          if (tail.readUInt32LE(4) !== this.memberBytes >>> 0) throw gzipError('incorrect length check');
          rest = tail.subarray(TRAILER);
          this.state = 'between';
          break;
        }
        case 'between':
          this.state = rest[0] === 0 ? 'done' : 'header';
          break;
        case 'done':
          return;
      }
    }
  }

  /** `rest` after the bytes held from earlier chunks; copies only when some are held. */
  private joinHeld(rest: Buffer): Buffer {
    if (this.held.length === 0) return rest;
    const all = Buffer.concat([this.held, rest]);
    this.held = Buffer.alloc(0);
    return all;
  }

  private startMember(): void {
    const inflate = createInflateRaw({ chunkSize: this.options.chunkSize });
    this.inflate = inflate;
    this.memberBytes = 0;
    inflate.on('data', (c: Buffer) => {
      this.memberBytes += c.length;
      if (!this.push(c)) inflate.pause();
    });
    // Also seen by feed() and memberEnd(); this one covers an error while neither waits.
    inflate.on('error', (err: Error & { code?: string }) => this.destroy(gzipError(err.message, err.code, err)));
  }

  /** Writes `bytes` to the inflater; resolves with how many of them the deflate data took. */
  private feed(bytes: Buffer): Promise<number> {
    const inflate = this.inflate!;
    const before = inflate.bytesWritten;
    return new Promise((resolve, reject) => {
      const onError = (err: Error & { code?: string }) => reject(gzipError(err.message, err.code, err));
      inflate.once('error', onError);
      inflate.write(bytes, (err) => {
        inflate.off('error', onError);
        if (err) onError(err);
        else resolve(inflate.bytesWritten - before);
      });
    });
  }

  /** Waits until the member's output has all been pushed, then lets its inflater go. */
  private async memberEnd(): Promise<void> {
    const inflate = this.inflate!;
    if (!inflate.readableEnded) {
      await new Promise<void>((resolve, reject) => {
        inflate.once('end', resolve);
        inflate.once('error', (err: Error & { code?: string }) => reject(gzipError(err.message, err.code, err)));
      });
    }
    inflate.destroy();
    this.inflate = undefined;
  }
}

/**
 * Length of the gzip member header at the start of `b`, or undefined when `b` ends inside it.
 * Throws on bytes that are not a gzip header (with zlib's messages).
 */
export function headerLength(b: Buffer): number | undefined {
  if ((b.length > 0 && b[0] !== 0x1f) || (b.length > 1 && b[1] !== 0x8b)) throw gzipError('incorrect header check (not gzip data)');
  if (b.length < 10) return undefined;
  if (b[2] !== 8) throw gzipError('unknown compression method');
  const flags = b[3]!;
  if (flags & RESERVED) throw gzipError('unknown header flags set');
  // MTIME, XFL and OS (bytes 4-9) say nothing the output depends on.
  let at = 10;
  if (flags & FEXTRA) {
    if (b.length < at + 2) return undefined;
    at += 2 + b.readUInt16LE(at);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const nul = at < b.length ? b.indexOf(0, at) : -1;
    if (nul < 0) return undefined;
    at = nul + 1;
  }
  if (flags & FHCRC) at += 2;
  return at <= b.length ? at : undefined;
}

function gzipError(message: string, code = 'Z_DATA_ERROR', cause?: Error): Error {
  return Object.assign(new Error(`gzip: ${message}`, cause && { cause }), { code });
}
