import { BerthError, type Client } from '@berth/kit';
import type { registry } from '@berth/proto';
import type { BlobChunk } from '../domain/registry.js';
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
