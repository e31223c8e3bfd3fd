import { BerthError, type Client } from '@berth/kit';
import type { registry } from '@berth/proto';
import { IntoFileUnavailable, type BlobChunk } from '../domain/registry.js';
import { SocketReader } from './socket-reader.js';

/** StreamBlob is not offered (an older registry service, or one on another host): use FetchBlob. */
export class BlobSocketUnavailable extends Error {}

type StreamRequest = Parameters<Client<typeof registry.RegistryService>['streamBlob']>[0];

/**
 * One StreamBlob call with its blob socket connected and the ticket sent. `lost` words a broken
 * socket (the call's own error when it has one, else a resumable `unavailable`); `verdict` checks
 * that the call reports the bytes counted here, then ends OK; `close` ends both.
 */
interface BlobCall {
  socket: SocketReader;
  totalSize: number;
  lost(err: unknown, counted: string): Promise<Error>;
  verdict(counted: number): Promise<void>;
  close(): void;
}

/**
 * Opens the call and connects to the socket its first event names. A refusal of one of
 * `fallbackKinds`, or a socket that cannot be reached, throws `unavailable(message)`: the caller's
 * cue to fall back, before any byte.
 */
async function openBlobCall(
  client: Client<typeof registry.RegistryService>,
  request: StreamRequest,
  signal: AbortSignal | undefined,
  fallbackKinds: readonly string[],
  unavailable: (message: string) => Error,
): Promise<BlobCall> {
  const call = new AbortController();
  const onAbort = () => call.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const events = client.streamBlob(request, { signal: call.signal })[Symbol.asyncIterator]();
  let socket: SocketReader | undefined;
  const close = () => {
    socket?.destroy();
    signal?.removeEventListener('abort', onAbort);
    call.abort(); // a no-op after a clean end; otherwise tells the registry service to stop
  };
  try {
    const first = await events.next().catch((err: unknown) => {
      if (err instanceof BerthError && fallbackKinds.includes(err.kind)) throw unavailable(err.message);
      throw err;
    });
    if (first.done) throw new BerthError('unavailable', 'StreamBlob ended before naming its socket');
    const { socket: socketPath, ticket, totalSize } = first.value;
    socket = new SocketReader(socketPath);
    try {
      await socket.connected();
    } catch (err) {
      throw unavailable(`blob socket ${socketPath}: ${(err as Error).message}`);
    }
    socket.socket.write(`${ticket}\n`);
    return {
      socket,
      totalSize,
      async lost(err, counted) {
        await events.next(); // rejects with the call's error, when it has one
        return new BerthError('unavailable', `blob ${request.digest}: blob socket lost after ${counted}: ${(err as Error).message}`, { cause: err });
      },
      async verdict(counted) {
        // The last event counts the bytes the registry service sent (or wrote); then the call must end OK.
        const last = await events.next();
        if (last.done || last.value.sent !== counted) {
          throw new BerthError('unavailable', `blob ${request.digest}: the blob socket counted ${counted} bytes, the registry service reports ${last.done ? 'none' : last.value.sent}`);
        }
        const end = await events.next();
        if (!end.done) throw new BerthError('internal', 'StreamBlob sent more than its verdict');
      },
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}

/**
 * A blob through the registry service's StreamBlob: control and verdict over gRPC, the bytes raw
 * over its blob socket. Yields chunks like FetchBlob; the iteration ends without error only once
 * the call ended OK (the registry verified the digest when reading from offset 0), so a consumer
 * that commits after a clean end commits only verified bytes. Throws BlobSocketUnavailable, before
 * any byte, when the caller should fall back to FetchBlob.
 */
export async function* streamBlob(client: Client<typeof registry.RegistryService>, request: StreamRequest, signal?: AbortSignal): AsyncGenerator<BlobChunk> {
  const call = await openBlobCall(client, request, signal, ['unimplemented'], (m) => new BlobSocketUnavailable(m));
  try {
    let received = 0;
    try {
      // Each chunk is valid until the next read: the consumer copies it (into the ingest batch).
      for (let data = await call.socket.read(); data; data = await call.socket.read()) {
        yield { data, totalSize: received === 0 ? call.totalSize : 0 };
        received += data.length;
      }
    } catch (err) {
      throw await call.lost(err, `${received} bytes`);
    }
    if (received === 0) yield { data: new Uint8Array(0), totalSize: call.totalSize };
    await call.verdict(received);
  } finally {
    call.close();
  }
}

/**
 * StreamBlob with `into_file`: the registry service writes the blob into `file` itself and the
 * socket carries 8-byte little-endian counts of the bytes in the file, which this yields. Ends
 * without error only once the call ended OK (the registry verified the digest) and the last count
 * matched what it reports it wrote. Throws IntoFileUnavailable, before any byte, when the
 * registry service may not write the file (another host, another configuration): use the socket.
 */
export async function* streamBlobInto(client: Client<typeof registry.RegistryService>, request: StreamRequest, signal?: AbortSignal): AsyncGenerator<number> {
  const call = await openBlobCall(client, request, signal, ['unimplemented', 'permission_denied'], (m) => new IntoFileUnavailable(m));
  try {
    let inFile = 0;
    const record = Buffer.alloc(8);
    let have = 0;
    try {
      for (let data = await call.socket.read(); data; data = await call.socket.read()) {
        // Counts may arrive split or several to a read: only the latest whole one matters.
        let latest = -1;
        for (let at = 0; at < data.length; ) {
          const n = Math.min(8 - have, data.length - at);
          data.copy(record, have, at, at + n);
          have += n;
          at += n;
          if (have === 8) {
            latest = Number(record.readBigUInt64LE(0));
            have = 0;
          }
        }
        if (latest < 0) continue;
        if (latest < inFile) throw new BerthError('internal', `StreamBlob: the count of bytes in the file went down (${inFile} → ${latest})`);
        yield (inFile = latest);
      }
    } catch (err) {
      throw err instanceof BerthError ? err : await call.lost(err, `${inFile} bytes in the file`);
    }
    if (have !== 0) throw new BerthError('unavailable', `blob ${request.digest}: the blob socket ended inside a count`);
    await call.verdict(inFile);
  } finally {
    call.close();
  }
}
