import * as grpc from '@grpc/grpc-js';
import { BerthError, ErrorKind } from './errors.js';
import { fromServiceError } from './grpc-status.js';
import { injectTraceContext } from './telemetry.js';
import { clientCredentials } from './grpc-tls.js';
import type { CallOptions, Client, MethodDef, ServiceDef, TlsFiles } from './grpc-types.js';

export interface ClientOptions {
  tls?: TlsFiles;
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

function method(client: grpc.Client, def: MethodDef) {
  const ser = def.requestSerialize;
  const de = def.responseDeserialize;
  if (!def.requestStream && !def.responseStream) {
    return (req: unknown, options?: CallOptions) =>
      new Promise((resolve, reject) => {
        const call = client.makeUnaryRequest(def.path, ser, de, req, metadata(), callOptions(options), (err, res) =>
          err ? reject(fromServiceError(err, def.path)) : resolve(res),
        );
        bindAbort(call, options?.signal);
      });
  }
  if (!def.requestStream && def.responseStream) {
    return (req: unknown, options?: CallOptions) => {
      const call = client.makeServerStreamRequest(def.path, ser, de, req, metadata(), callOptions(options));
      bindAbort(call, options?.signal);
      return iterate(call, def.path);
    };
  }
  if (def.requestStream && !def.responseStream) {
    return (reqs: AsyncIterable<unknown>, options?: CallOptions) =>
      new Promise((resolve, reject) => {
        const call = client.makeClientStreamRequest(def.path, ser, de, metadata(), callOptions(options), (err, res) =>
          err ? reject(fromServiceError(err, def.path)) : resolve(res),
        );
        bindAbort(call, options?.signal);
        pump(reqs, call).catch(reject);
      });
  }
  return (reqs: AsyncIterable<unknown>, options?: CallOptions) => {
    const call = client.makeBidiStreamRequest(def.path, ser, de, metadata(), callOptions(options));
    bindAbort(call, options?.signal);
    pump(reqs, call).catch(() => {
      /* the response stream reports the failure to the caller */
    });
    return iterate(call, def.path);
  };
}

/**
 * A typed client for a ts-proto service definition: unary methods return promises, streams are
 * async iterables, and failures arrive as BerthErrors of the kind the server threw.
 */
export function createClient<S extends ServiceDef>(definition: S, address: string, options: ClientOptions = {}): Client<S> {
  if (!address) throw new BerthError(ErrorKind.InvalidArgument, 'no address for gRPC client');
  const creds = options.tls?.ca ? clientCredentials(options.tls) : grpc.credentials.createInsecure();
  const client = new grpc.Client(address, creds, {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.enable_retries': 1,
  });
  const out: Record<string, unknown> = { close: () => client.close() };
  for (const [key, def] of Object.entries(definition)) out[key] = method(client, def);
  return out as Client<S>;
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
