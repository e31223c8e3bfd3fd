/**
 * Docker's multiplexed stream framing (application/vnd.docker.multiplexed-stream): each frame is an
 * 8-byte header [stream, 0, 0, 0, size as big-endian uint32] followed by `size` bytes of payload.
 * Stream 0 is stdin, 1 stdout, 2 stderr, 3 the "systemerr" Docker uses for errors in a stream.
 */
export const StreamType = { Stdin: 0, Stdout: 1, Stderr: 2, SystemErr: 3 } as const;
export type StreamType = (typeof StreamType)[keyof typeof StreamType];

const HEADER_SIZE = 8;

export function encodeFrame(stream: StreamType, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export interface Frame {
  stream: StreamType;
  payload: Buffer;
}

/**
 * Splits a byte stream into frames. Feed chunks as they arrive; frames split across chunks are
 * buffered until complete.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Frame[] {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (this.pending.length >= HEADER_SIZE) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_SIZE + size) break;
      const stream = this.pending[0] as StreamType;
      frames.push({ stream, payload: this.pending.subarray(HEADER_SIZE, HEADER_SIZE + size) });
      this.pending = this.pending.subarray(HEADER_SIZE + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame left at the end of the stream. */
  get leftover(): number {
    return this.pending.length;
  }
}
