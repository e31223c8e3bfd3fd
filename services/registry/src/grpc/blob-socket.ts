import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BerthError } from '@berth/kit';

/** How long a ticket waits for its caller to connect. */
const CLAIM_MS = 10_000;
const TICKET = /^[a-f0-9]{64}$/;
/** Bytes gathered into one writev. */
const CORK_BYTES = 1 << 20;

export interface BlobOffer {
  ticket: string;
  /** The caller's connection, once it presented the ticket. */
  connected: Promise<net.Socket>;
  /** Withdraws the ticket (no-op once claimed). */
  cancel(): void;
}

/**
 * The data plane of StreamBlob: a unix socket beside the gRPC one where a caller on the same host
 * presents a one-time ticket ("<64 hex>\n") and then reads raw blob bytes. gRPC stays the control
 * plane (the request, auth, errors and the verdict); only the bytes skip protobuf and HTTP/2, whose
 * per-chunk encoding, copies and garbage made FetchBlob cost more CPU than the rest of a pull.
 */
export class BlobSocketServer {
  private readonly offers = new Map<string, (socket: net.Socket) => void>();

  private constructor(
    readonly path: string,
    private readonly server: net.Server,
  ) {}

  static async listen(socketPath: string): Promise<BlobSocketServer> {
    mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o755 });
    rmSync(socketPath, { force: true });
    const server = net.createServer();
    const self = new BlobSocketServer(socketPath, server);
    server.on('connection', (socket) => self.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    chmodSync(socketPath, 0o660);
    return self;
  }

  offer(signal: AbortSignal): BlobOffer {
    const ticket = randomBytes(32).toString('hex');
    let cancel!: () => void;
    const connected = new Promise<net.Socket>((resolve, reject) => {
      const timer = setTimeout(() => fail(new BerthError('unavailable', 'StreamBlob: the caller did not connect to the blob socket')), CLAIM_MS);
      const fail = (err: unknown) => {
        clearTimeout(timer);
        this.offers.delete(ticket);
        signal.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = () => fail(new BerthError('cancelled', 'StreamBlob: cancelled'));
      signal.addEventListener('abort', onAbort, { once: true });
      cancel = () => fail(new BerthError('cancelled', 'StreamBlob: withdrawn'));
      this.offers.set(ticket, (socket) => {
        clearTimeout(timer);
        this.offers.delete(ticket);
        signal.removeEventListener('abort', onAbort);
        resolve(socket);
      });
    });
    connected.catch(() => undefined); // awaited by the handler when it gets that far
    return { ticket, connected, cancel: () => cancel() };
  }

  /** Reads the ticket line, then hands the socket to its offer; anything else is cut off. */
  private accept(socket: net.Socket): void {
    let line = '';
    const timer = setTimeout(() => socket.destroy(), CLAIM_MS);
    socket.on('error', () => socket.destroy()); // a caller that went away: its StreamBlob call reports it
    const onData = (chunk: Buffer) => {
      line += chunk.toString('latin1');
      const nl = line.indexOf('\n');
      if (nl < 0 && line.length <= 65) return;
      socket.off('data', onData);
      socket.pause();
      clearTimeout(timer);
      const ticket = line.slice(0, nl);
      const claim = nl === line.length - 1 && TICKET.test(ticket) ? this.offers.get(ticket) : undefined;
      if (claim) claim(socket);
      else socket.destroy();
    };
    socket.on('data', onData);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}

/**
 * Writes `chunks` to the socket with backpressure and ends it; returns the bytes written. On a
 * failure (the source's: a connection lost mid-blob, a digest mismatch after the last chunk) what
 * was written still goes out before the socket closes, so a caller can keep it for a resume; the
 * failure is rethrown for the gRPC status, which is what tells the caller the bytes are not good.
 */
export async function sendChunks(socket: net.Socket, chunks: AsyncIterable<Buffer>, signal: AbortSignal, recycle?: (chunk: Buffer) => void): Promise<number> {
  let sent = 0;
  const gone = new Promise<never>((_, reject) => {
    socket.once('close', () => reject(new BerthError('cancelled', 'StreamBlob: the caller closed the blob socket')));
  });
  gone.catch(() => undefined);
  // node:http (https) delivers a body in ~64 KiB pieces; corked, they go out several to a writev
  // (a write per piece cost this service ~0.5 s of CPU per 200 MB in syscalls and reader
  // wake-ups). A plain-HTTP body comes in 1 MiB chunks, handed back for reuse once written.
  let corked = 0;
  try {
    for await (const chunk of chunks) {
      signal.throwIfAborted();
      sent += chunk.length;
      if (corked === 0) socket.cork();
      corked += chunk.length;
      const more = recycle ? socket.write(chunk, () => recycle(chunk)) : socket.write(chunk);
      if (corked >= CORK_BYTES || !more) {
        socket.uncork();
        corked = 0;
      }
      if (!more) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), gone]);
    }
    if (corked > 0) socket.uncork();
    await new Promise<void>((resolve) => socket.end(resolve));
    return sent;
  } catch (err) {
    socket.end();
    throw err;
  }
}
