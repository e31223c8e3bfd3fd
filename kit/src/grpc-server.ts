import { mkdirSync, rmSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, context as otelContext, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { health } from '@berth/proto';
import { BerthError, ErrorKind, errorKind } from './errors.js';
import { kindToStatus, BERTH_KIND_HEADER } from './grpc-status.js';
import { extractTraceContext, startSpan } from './telemetry.js';
import { Attr } from './attributes.js';
import { serverCredentials } from './grpc-tls.js';
import type { CallContext, Handlers, ServiceDef, TlsFiles } from './grpc-types.js';
import { HealthState } from './health.js';
import { isTcpAddress } from './config.js';
import { processMetrics, type Metrics } from './metrics.js';
import { addReflection } from './reflection.js';
import { withPreEncoded } from './pre-encoded.js';

/** A service definition with its handlers, types erased once checked by serve(). */
export interface ServiceRegistration {
  definition: ServiceDef;
  handlers: Record<string, Function | undefined>;
}

/** Pairs a ts-proto service definition with its handlers; missing methods answer UNIMPLEMENTED. */
export function serve<S extends ServiceDef>(definition: S, handlers: Partial<Handlers<S>>): ServiceRegistration {
  return { definition, handlers: handlers as Record<string, Function | undefined> };
}

export interface GrpcServerOptions {
  /** Service name for logs and the health service ("image", "runtime" ...). */
  name: string;
  address: string;
  services: ServiceRegistration[];
  logger: Logger;
  /**
   * Mutual TLS for TCP addresses (clients must present a certificate from tls.ca). Ignored on
   * unix sockets, which file permissions protect.
   */
  tls?: TlsFiles;
}

export interface GrpcServerHandle {
  address: string;
  health: HealthState;
  /** Stops accepting calls, lets running ones finish for up to graceMs, then cuts them. */
  close(graceMs?: number): Promise<void>;
}

type AnyCall = grpc.ServerUnaryCall<any, any> | grpc.ServerWritableStream<any, any> | grpc.ServerReadableStream<any, any> | grpc.ServerDuplexStream<any, any>;

function callContext(call: AnyCall): CallContext {
  const controller = new AbortController();
  (call as NodeJS.EventEmitter).on('cancelled', () => controller.abort(new BerthError(ErrorKind.Cancelled, 'call cancelled')));
  return { signal: controller.signal, metadata: call.metadata };
}

function traceParent(call: AnyCall) {
  const md = call.metadata.getMap();
  const carrier: Record<string, string> = {};
  for (const k of ['traceparent', 'tracestate']) if (typeof md[k] === 'string') carrier[k] = md[k] as string;
  return extractTraceContext(carrier);
}

function methodName(p: string): string {
  return p.split('/').pop() ?? p;
}

/** Turns any thrown value into a gRPC error: BerthErrors keep kind and message; the rest is hidden. */
function toGrpcError(err: unknown, logger: Logger, method: string): Partial<grpc.StatusObject> {
  const kind = errorKind(err);
  // Marks the status as sent by a berth handler, so clients can tell it from transport failures.
  const metadata = new grpc.Metadata();
  metadata.set(BERTH_KIND_HEADER, kind);
  if (kind === ErrorKind.Internal) {
    const ref = randomBytes(6).toString('hex');
    logger.error({ err, method, ref }, 'internal error');
    return { code: grpc.status.INTERNAL, details: `internal error (reference ${ref})`, metadata };
  }
  return { code: kindToStatus(kind), details: (err as Error).message, metadata };
}

const STATUS_NAME: Record<number, string> = Object.fromEntries(Object.entries(grpc.status).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k]));

function wrap(def: { path: string; requestStream: boolean; responseStream: boolean }, fn: Function, service: string, logger: Logger, metrics: Metrics) {
  const method = methodName(def.path);
  const spanName = `${service}.${method}`;
  const rpc = def.path.slice(1);
  const run = async (call: AnyCall, body: (ctx: CallContext) => Promise<void>, fail: (e: Partial<grpc.StatusObject>) => void) => {
    const started = process.hrtime.bigint();
    const parent = traceParent(call);
    const span = startSpan(spanName, { [Attr.RpcMethod]: def.path, [Attr.Service]: service }, parent, SpanKind.SERVER);
    const active = trace.setSpan(parent, span);
    let code = 'OK';
    try {
      await otelContext.with(active, () => body(callContext(call)));
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      const status = toGrpcError(err, logger, def.path);
      code = STATUS_NAME[status.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN';
      metrics.rpcErrors.inc({ service, method: rpc, kind: errorKind(err) });
      fail(status);
    } finally {
      span.end();
      metrics.rpcRequests.inc({ service, method: rpc, code });
      metrics.rpcDuration.observe({ service, method: rpc }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  if (!def.requestStream && !def.responseStream) {
    return (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
      void run(call, async (ctx) => cb(null, await fn(call.request, ctx)), (e) => cb(e));
    };
  }
  const streamOut = async (call: grpc.ServerWritableStream<any, any> | grpc.ServerDuplexStream<any, any>, source: AsyncIterable<any>) => {
    for await (const msg of source) {
      if (call.cancelled) break;
      if (!call.write(msg)) await new Promise((r) => call.once('drain', r));
    }
    call.end();
  };
  if (!def.requestStream && def.responseStream) {
    return (call: grpc.ServerWritableStream<any, any>) => {
      void run(call, (ctx) => streamOut(call, fn(call.request, ctx)), (e) => call.emit('error', Object.assign(new Error(e.details), e)));
    };
  }
  if (def.requestStream && !def.responseStream) {
    return (call: grpc.ServerReadableStream<any, any>, cb: grpc.sendUnaryData<any>) => {
      void run(call, async (ctx) => cb(null, await fn(requests(call), ctx)), (e) => cb(e));
    };
  }
  return (call: grpc.ServerDuplexStream<any, any>) => {
    void run(call, (ctx) => streamOut(call, fn(requests(call), ctx)), (e) => call.emit('error', Object.assign(new Error(e.details), e)));
  };
}

/**
 * The request stream of a client- or bidi-streaming call as an async iterable that does not
 * destroy the call when it ends: Readable's own iterator destroys the stream once the client
 * half-closes, which for a duplex call also kills the response side mid-stream.
 */
function requests(call: grpc.ServerReadableStream<any, any> | grpc.ServerDuplexStream<any, any>): AsyncIterable<any> {
  return { [Symbol.asyncIterator]: () => call.iterator({ destroyOnReturn: false }) };
}

function unimplemented(p: string) {
  return () => {
    throw new BerthError(ErrorKind.Unimplemented, `${methodName(p)} is not implemented yet`);
  };
}

/**
 * Serves the given services plus grpc.health.v1 and server reflection on a unix socket
 * (`unix:///path`) or TCP address (mutual TLS when options.tls has a certificate). Every call
 * is traced and counted in the process's metrics.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServerHandle> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const logger = options.logger.child({ component: 'grpc' });
  const metrics = processMetrics();
  const state = new HealthState();
  const all = [...options.services, serve(health.HealthService, state.handlers())];
  const names: string[] = [];
  for (const { definition, handlers } of all) {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [key, def] of Object.entries(definition)) {
      const fn = handlers[key] ?? unimplemented(def.path);
      impl[key] = wrap(def, fn, options.name, logger, metrics) as grpc.UntypedHandleCall;
    }
    server.addService(withPreEncoded(definition) as grpc.ServiceDefinition, impl);
    const serviceName = Object.values(definition)[0]!.path.split('/')[1]!;
    names.push(serviceName);
    state.set(serviceName, 'SERVING');
  }
  try {
    addReflection(server, names);
  } catch (err) {
    // The .proto files are shipped with the proto package; without them the services still work.
    logger.warn({ err }, 'gRPC reflection is off: the .proto files could not be loaded');
  }
  const address = options.address;
  let socketPath: string | undefined;
  if (address.startsWith('unix://')) {
    socketPath = address.slice('unix://'.length);
    mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o755 });
    rmSync(socketPath, { force: true });
  }
  const tls = isTcpAddress(address) && options.tls?.cert ? options.tls : undefined;
  if (isTcpAddress(address) && !tls) logger.warn({ address }, 'listening on TCP without TLS: anyone who reaches this port can call the service');
  const creds = tls ? serverCredentials(tls) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, creds, (err, p) => (err ? reject(new BerthError('unavailable', `listen ${address}: ${err.message}`, { cause: err })) : resolve(p))),
  );
  if (socketPath) chmodSync(socketPath, 0o660);
  state.set('', 'SERVING');
  const bound = socketPath ? address : address.replace(/:0$/, `:${port}`);
  logger.info({ address: bound }, 'gRPC server listening');
  return {
    address: bound,
    health: state,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        state.shutdown();
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          if (socketPath) rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}
