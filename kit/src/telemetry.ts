import { context, propagation, trace, SpanStatusCode, SpanKind, type Attributes, type Span, type Context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

export { SpanKind, type Span } from '@opentelemetry/api';

let contextReady = false;

/** Context propagation works even without an exporter, so traceparent always flows. */
export function ensureTraceContext(): void {
  if (contextReady) return;
  contextReady = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); empty: no export. */
  otlpEndpoint?: string;
  /** An exporter of the caller's (tests use InMemorySpanExporter); exported synchronously. */
  exporter?: SpanExporter;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

let provider: BasicTracerProvider | undefined;

/** Sets up tracing for this process once; later calls share the first provider. */
export function setupTelemetry(options: TelemetryOptions): Telemetry {
  ensureTraceContext();
  if (provider) return { shutdown: async () => {} };
  const processors = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  if (options.otlpEndpoint) {
    const url = options.otlpEndpoint.replace(/\/$/, '') + '/v1/traces';
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  const p = new BasicTracerProvider({
    resource: new Resource({ 'service.name': options.serviceName }),
    spanProcessors: processors,
  });
  trace.setGlobalTracerProvider(p);
  provider = p;
  return {
    shutdown: async () => {
      await p.shutdown();
      if (provider === p) provider = undefined;
      trace.disable();
    },
  };
}

function tracer() {
  return trace.getTracer('berth');
}

/** Runs fn inside a new active span named `<noun>.<Verb>`; errors mark the span and propagate. */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; parent?: Context } = {},
): Promise<T> {
  ensureTraceContext();
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(name, { attributes, kind: options.kind ?? SpanKind.INTERNAL }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Starts a span without making it active (for streams whose lifetime is not one await). */
export function startSpan(name: string, attributes: Attributes, parent: Context = context.active(), kind = SpanKind.INTERNAL): Span {
  ensureTraceContext();
  return tracer().startSpan(name, { attributes, kind }, parent);
}

/** W3C trace context of the active span, as carrier headers (traceparent, tracestate). */
export function injectTraceContext(carrier: Record<string, string> = {}, ctx: Context = context.active()): Record<string, string> {
  ensureTraceContext();
  propagation.inject(ctx, carrier);
  return carrier;
}

export function extractTraceContext(carrier: Record<string, string | undefined>): Context {
  ensureTraceContext();
  return propagation.extract(context.active(), carrier);
}

export { context as otelContext, trace as otelTrace };
