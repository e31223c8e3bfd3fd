import { BerthError, type Client } from '@berth/kit';
import type { registry } from '@berth/proto';
import { IntoFileUnavailable, type BlobChunk } from '../domain/registry.js';
import { SocketReader } from './socket-reader.js';

/** StreamBlob is not offered (an older registry service, or one on another host): use FetchBlob. */
export class BlobSocketUnavailable extends Error {}

type StreamRequest = Parameters<Client<typeof registry.RegistryService>['streamBlob']>[0];

/**
 * A blob through the registry service's StreamBlob: control and verdict over gRPC, the bytes raw
 * over its blob socket. Yields chunks like FetchBlob; the iteration ends without error only once
 * the call ended OK (the registry verified the digest when reading from offset 0), so a consumer
 * that commits after a clean end commits only verified bytes. Throws BlobSocketUnavailable, before
 * any byte, when the caller should fall back to FetchBlob.
 */
export async function* streamBlob(client: Client<typeof registry.RegistryService>, request: StreamRequest, signal?: AbortSignal): AsyncGenerator<BlobChunk> {
  const call = new AbortController();
  const onAbort = () => call.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const events = client.streamBlob(request, { signal: call.signal })[Symbol.asyncIterator]();
  let socket: SocketReader | undefined;
  try {
    const first = await events.next().catch((err: unknown) => {
      if (err instanceof BerthError && err.kind === 'unimplemented') throw new BlobSocketUnavailable(err.message);
      throw err;
    });
    if (first.done) throw new BerthError('unavailable', 'StreamBlob ended before naming its socket');
    const { socket: socketPath, ticket, totalSize } = first.value;
    socket = new SocketReader(socketPath);
    try {
      await socket.connected();
    } catch (err) {
      throw new BlobSocketUnavailable(`blob socket ${socketPath}: ${(err as Error).message}`);
    }
    socket.socket.write(`${ticket}\n`);
    let received = 0;
    try {
      // Each chunk is valid until the next read: the consumer copies it (into the ingest batch).
      for (let data = await socket.read(); data; data = await socket.read()) {
        yield { data, totalSize: received === 0 ? totalSize : 0 };
        received += data.length;
      }
    } catch (err) {
      // The socket broke: the call says why (its error), or the transfer is resumable.
      await events.next();
      throw new BerthError('unavailable', `blob ${request.digest}: blob socket lost after ${received} bytes: ${(err as Error).message}`, { cause: err });
    }
    if (received === 0) yield { data: new Uint8Array(0), totalSize };
    // The verdict: the last event counts the bytes sent, then the call must end OK.
    const last = await events.next();
    if (last.done || last.value.sent !== received) {
      throw new BerthError('unavailable', `blob ${request.digest}: the blob socket delivered ${received} bytes, the registry service sent ${last.done ? 'fewer' : last.value.sent}`);
    }
    const end = await events.next();
    if (!end.done) throw new BerthError('internal', 'StreamBlob sent more than its verdict');
  } finally {
    socket?.destroy();
    signal?.removeEventListener('abort', onAbort);
    call.abort(); // a no-op after a clean end; otherwise tells the registry service to stop
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
  const call = new AbortController();
  const onAbort = () => call.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const events = client.streamBlob(request, { signal: call.signal })[Symbol.asyncIterator]();
  let socket: SocketReader | undefined;
  try {
    const first = await events.next().catch((err: unknown) => {
      if (err instanceof BerthError && (err.kind === 'unimplemented' || err.kind === 'permission_denied')) throw new IntoFileUnavailable(err.message);
      throw err;
    });
    if (first.done) throw new BerthError('unavailable', 'StreamBlob ended before naming its socket');
    const { socket: socketPath, ticket } = first.value;
    socket = new SocketReader(socketPath);
    try {
      await socket.connected();
    } catch (err) {
      throw new IntoFileUnavailable(`blob socket ${socketPath}: ${(err as Error).message}`);
    }
    socket.socket.write(`${ticket}\n`);
    let inFile = 0;
    const record = Buffer.alloc(8);
    let have = 0;
    try {
      for (let data = await socket.read(); data; data = await socket.read()) {
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
        if (latest >= 0) {
          if (latest < inFile) throw new BerthError('internal', `StreamBlob: the count of bytes in the file went down (${inFile} → ${latest})`);
          inFile = latest;
          yield inFile;
        }
      }
    } catch (err) {
      if (err instanceof BerthError) throw err;
      await events.next(); // the call's error says why the socket broke, if it has one
      throw new BerthError('unavailable', `blob ${request.digest}: blob socket lost after ${inFile} bytes in the file: ${(err as Error).message}`, { cause: err });
    }
    const last = await events.next();
    if (last.done || last.value.sent !== inFile || have !== 0) {
      throw new BerthError('unavailable', `blob ${request.digest}: the registry service reports ${last.done ? 'no count' : last.value.sent} bytes written, the blob socket counted ${inFile}`);
    }
    const end = await events.next();
    if (!end.done) throw new BerthError('internal', 'StreamBlob sent more than its verdict');
  } finally {
    socket?.destroy();
    signal?.removeEventListener('abort', onAbort);
    call.abort();
  }
}
