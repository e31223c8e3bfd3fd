import net from 'node:net';

/** Size of the one buffer every read of the socket goes into. */
const READ_BUFFER = 256 * 1024;

/**
 * A unix socket read into one reused buffer (net's `onread`): no allocation per chunk, so a
 * 200 MB blob leaves no garbage for the service's collector (which otherwise ran a full
 * collection every ~64 MB). A chunk from `read()` is valid until the next call; the socket is
 * paused in between (backpressure to the sender).
 */
export class SocketReader {
  readonly socket: net.Socket;
  private chunk: Buffer | undefined;
  private handedOut = false;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(path: string) {
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    this.socket = net.createConnection({
      path,
      onread: {
        buffer,
        callback: (n: number, buf: Uint8Array) => {
          this.chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
          this.wake?.();
          return false; // paused until the chunk is consumed
        },
      },
    });
    this.socket.on('end', () => this.settle());
    this.socket.on('error', (err) => this.settle(err));
  }

  /** Resolves once connected; rejects if the socket cannot be reached. */
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  /** The next bytes (valid until the next call), or undefined at the end of the stream. */
  async read(): Promise<Buffer | undefined> {
    if (this.handedOut) {
      this.handedOut = false;
      this.chunk = undefined;
      if (!this.ended) this.socket.resume();
    }
    while (this.chunk === undefined) {
      if (this.error) throw this.error;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    this.handedOut = true;
    return this.chunk;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private settle(err?: Error): void {
    if (err) this.error ??= err;
    this.ended = true;
    this.wake?.();
  }
}
