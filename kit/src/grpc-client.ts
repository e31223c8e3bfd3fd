import * as grpc from '@grpc/grpc-js';
import { BerthError, ErrorKind } from './errors.js';
import { fromServiceError } from './grpc-status.js';
import { injectTraceContext } from './telemetry.js';
import { clientCredentials } from './grpc-tls.js';
import { isTcpAddress, type BerthConfig } from './config.js';
import type { CallOptions, Client, MethodDef, ServiceDef, TlsFiles } from './grpc-types.js';

export interface ClientOptions {
  /** Mutual TLS for TCP addresses (CA to verify the server, our certificate and key); unix sockets ignore it. */
  tls?: TlsFiles;
  /**
   * HTTP/2 receive window (per stream and per connection) for clients that take bulk data from
   * server streams (blob bytes). The 64 KiB default costs a round trip to the server every 64 KiB;
   * the image service pulls layers three to five times faster over a unix socket with 16 MiB.
   */
  receiveWindowBytes?: number;
  /**
   * Unary methods (by key, `listContainers`) whose answer is decoded only when its bytes differ
   * from the previous answer; otherwise the previous (deep-frozen, shared) object comes back. For
   * polled lists that rarely change: callers can then cache work per returned object.
   */
  reuseIdentical?: readonly string[];
  /**
   * How long a call made while the channel is between reconnect attempts waits for it to connect
   * before it fails as unavailable (default 2000 ms; 0: fail at once, as grpc-js does).
   */
  reconnectWaitMs?: number;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The response deserializer, remembering the last answer's bytes and value. */
function reusing(de: (b: Buffer) => unknown): (b: Buffer) => unknown {
  let last: { bytes: Buffer; value: unknown } | undefined;
  return (bytes) => {
    if (last && last.bytes.equals(bytes)) return last.value;
    const value = deepFreeze(de(bytes));
    last = { bytes: Buffer.from(bytes), value };
    return value;
  };
}

function metadata(): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(injectTraceContext())) md.set(k, v);
  return md;
}

function callOptions(options?: CallOptions): grpc.CallOptions {
  return options?.timeoutMs ? { deadline: Date.now() + options.timeoutMs } : {};
}

function bindAbort(call: { cancel(): void }, signal?: AbortSignal) {
  if (!signal) return;
  if (signal.aborted) call.cancel();
  else signal.addEventListener('abort', () => call.cancel(), { once: true });
}

async function* iterate<T>(stream: AsyncIterable<T>, path: string): AsyncIterable<T> {
  try {
    for await (const msg of stream) yield msg;
  } catch (err) {
    throw fromServiceError(err as grpc.ServiceError, path);
  }
}

async function pump<T>(source: AsyncIterable<T>, call: grpc.ClientWritableStream<T> | grpc.ClientDuplexStream<T, unknown>) {
  try {
    for await (const msg of source) {
      if (!call.write(msg)) await new Promise((r) => call.once('drain', r));
    }
    call.end();
  } catch (err) {
    call.cancel();
    throw err;
  }
}

/**
 * After its peer went away, a channel sits in TRANSIENT_FAILURE between reconnect attempts and
 * fails every call at once, even when the peer is back (a service restarted after a crash: live
 * restore). A call made in that state first waits, up to `budgetMs`, for the channel to connect;
 * undefined when the channel is not in that state (the usual case: no wait, no allocation).
 */
function reconnected(client: grpc.Client, budgetMs: number): Promise<void> | undefined {
  if (budgetMs <= 0) return undefined;
  if (client.getChannel().getConnectivityState(false) !== grpc.connectivityState.TRANSIENT_FAILURE) return undefined;
  return new Promise((resolve) => client.waitForReady(Date.now() + budgetMs, () => resolve()));
}

function method(client: grpc.Client, def: MethodDef, reuse: boolean, budgetMs: number) {
  const ser = def.requestSerialize;
  const de = reuse && !def.requestStream && !def.responseStream ? reusing(def.responseDeserialize) : def.responseDeserialize;
  if (!def.requestStream && !def.responseStream) {
    const unary = (req: unknown, options?: CallOptions) =>
      new Promise((resolve, reject) => {
        const call = client.makeUnaryRequest(def.path, ser, de, req, metadata(), callOptions(options), (err, res) =>
          err ? reject(fromServiceError(err, def.path)) : resolve(res),
        );
        bindAbort(call, options?.signal);
      });
    return (req: unknown, options?: CallOptions) => {
      const wait = reconnected(client, budgetMs);
      return wait ? wait.then(() => unary(req, options)) : unary(req, options);
    };
  }
  if (!def.requestStream && def.responseStream) {
    const serverStream = (req: unknown, options?: CallOptions) => {
      const call = client.makeServerStreamRequest(def.path, ser, de, req, metadata(), callOptions(options));
      bindAbort(call, options?.signal);
      return iterate(call, def.path);
    };
    return (req: unknown, options?: CallOptions) => {
      const wait = reconnected(client, budgetMs);
      // Only while reconnecting does the call start when iteration does rather than now.
      return wait ? deferred(wait, () => serverStream(req, options)) : serverStream(req, options);
    };
  }
  if (def.requestStream && !def.responseStream) {
    const clientStream = (reqs: AsyncIterable<unknown>, options?: CallOptions) =>
      new Promise((resolve, reject) => {
        const call = client.makeClientStreamRequest(def.path, ser, de, metadata(), callOptions(options), (err, res) =>
          err ? reject(fromServiceError(err, def.path)) : resolve(res),
        );
        bindAbort(call, options?.signal);
        pump(reqs, call).catch(reject);
      });
    return (reqs: AsyncIterable<unknown>, options?: CallOptions) => {
      const wait = reconnected(client, budgetMs);
      return wait ? wait.then(() => clientStream(reqs, options)) : clientStream(reqs, options);
    };
  }
  const bidi = (reqs: AsyncIterable<unknown>, options?: CallOptions) => {
    const call = client.makeBidiStreamRequest(def.path, ser, de, metadata(), callOptions(options));
    bindAbort(call, options?.signal);
    pump(reqs, call).catch(() => {
      /* the response stream reports the failure to the caller */
    });
    return iterate(call, def.path);
  };
  return (reqs: AsyncIterable<unknown>, options?: CallOptions) => {
    const wait = reconnected(client, budgetMs);
    return wait ? deferred(wait, () => bidi(reqs, options)) : bidi(reqs, options);
  };
}

async function* deferred<T>(wait: Promise<void>, start: () => AsyncIterable<T>): AsyncIterable<T> {
  await wait;
  yield* start();
}

/**
 * A typed client for a ts-proto service definition: unary methods return promises, streams are
 * async iterables, and failures arrive as BerthErrors of the kind the server threw.
 */
export function createClient<S extends ServiceDef>(definition: S, address: string, options: ClientOptions = {}): Client<S> {
  if (!address) throw new BerthError(ErrorKind.InvalidArgument, 'no address for gRPC client');
  const creds = options.tls?.ca && isTcpAddress(address) ? clientCredentials(options.tls) : grpc.credentials.createInsecure();
  const client = new grpc.Client(address, creds, {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.enable_retries': 1,
    // grpc-js backs off reconnects from 1 s up to 120 s, failing calls fast meanwhile: a service
    // restarted after a crash (live restore) would stay "unavailable" for seconds after it is
    // back. These peers are local or on the same network: retry within a second.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
    ...(options.receiveWindowBytes && { 'grpc-node.flow_control_window': options.receiveWindowBytes }),
  });
  const out: Record<string, unknown> = { close: () => client.close() };
  const reuse = new Set(options.reuseIdentical ?? []);
  const budgetMs = options.reconnectWaitMs ?? 2000;
  for (const [key, def] of Object.entries(definition)) out[key] = method(client, def, reuse.has(key), budgetMs);
  return out as Client<S>;
}

/**
 * The client for one service as config says to reach it: plaintext on a unix socket, mutual TLS
 * (config.tls) on a TCP address. What services and the gateway use for each other.
 */
export function clientFor<S extends ServiceDef>(definition: S, address: string, config?: Pick<BerthConfig, 'tls'>, options: Omit<ClientOptions, 'tls'> = {}): Client<S> {
  return createClient(definition, address, { ...options, ...(config && { tls: config.tls }) });
}

/** Polls grpc.health.v1 at address until it reports SERVING (no fixed sleeps: short backoff). */
export async function waitForHealthy(address: string, options: ClientOptions & { timeoutMs?: number; service?: string } = {}): Promise<void> {
  const { health } = await import('@berth/proto');
  const client = createClient(health.HealthService, address, options);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let delay = 10;
  try {
    for (;;) {
      try {
        const res = await client.check({ service: options.service ?? '' }, { timeoutMs: 1000 });
        if (res.status === health.HealthCheckResponse_ServingStatus.SERVING) return;
      } catch (err) {
        if (Date.now() > deadline) throw new BerthError(ErrorKind.Unavailable, `${address} is not healthy: ${(err as Error).message}`);
      }
      if (Date.now() > deadline) throw new BerthError(ErrorKind.Unavailable, `${address} is not serving`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 250);
    }
  } finally {
    client.close();
  }
}
