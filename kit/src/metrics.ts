import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one process. A process has one `/metrics` endpoint, so it has one
 * registry (as every Prometheus client library keeps a default one): kit's gRPC server records
 * every RPC in it, the event publisher counts what it publishes, and services add gauges read at
 * scrape time with `registerCollector`. Services never import prom-client: they describe their
 * samples as plain `MetricFamily` values, or take a counter from `counter()`.
 */
export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  /** `berth_<service>_<what>[_unit]`, Prometheus naming rules. */
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: MetricSample[];
}

/** Called at every scrape; should read in-memory state or a few small files, never block long. */
export type Collector = () => MetricFamily[] | Promise<MetricFamily[]>;

const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();
  readonly rpcRequests = new Counter({
    name: 'berth_grpc_server_requests_total',
    help: 'gRPC calls handled, by service, method and status code',
    labelNames: ['service', 'method', 'code'] as const,
    registers: [this.registry],
  });
  readonly rpcErrors = new Counter({
    name: 'berth_grpc_server_errors_total',
    help: 'gRPC calls that failed, by service, method and berth error kind',
    labelNames: ['service', 'method', 'kind'] as const,
    registers: [this.registry],
  });
  readonly rpcDuration = new Histogram({
    name: 'berth_grpc_server_duration_seconds',
    help: 'gRPC call latency (streams: until the last message), by service and method',
    labelNames: ['service', 'method'] as const,
    buckets: RPC_BUCKETS,
    registers: [this.registry],
  });
  readonly eventsPublished = new Counter({
    name: 'berth_events_published_total',
    help: 'Events published on NATS, by type and action',
    labelNames: ['type', 'action'] as const,
    registers: [this.registry],
  });
  readonly eventFailures = new Counter({
    name: 'berth_events_publish_failures_total',
    help: 'Events that could not be published (logged; the change they report stands)',
    registers: [this.registry],
  });
  private readonly collectors = new Map<string, Collector>();
  private readonly counters = new Map<string, Counter<string>>();
  private readonly histograms = new Map<string, Histogram<string>>();
  private processMetrics = false;

  /** Adds (or replaces) the collector under key; returns its removal. */
  registerCollector(key: string, collect: Collector): () => void {
    this.collectors.set(key, collect);
    return () => {
      if (this.collectors.get(key) === collect) this.collectors.delete(key);
    };
  }

  /** A counter of this process, created on first use (so a service restarted in-process reuses it). */
  counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    let c = this.counters.get(name);
    if (!c) {
      c = new Counter({ name, help, labelNames, registers: [this.registry] });
      this.counters.set(name, c);
    }
    return c;
  }

  /** A histogram of this process, created on first use. */
  histogram(name: string, help: string, labelNames: string[] = [], buckets = RPC_BUCKETS): Histogram<string> {
    let h = this.histograms.get(name);
    if (!h) {
      h = new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
      this.histograms.set(name, h);
    }
    return h;
  }

  /** Node's process metrics (CPU, memory, event loop lag, GC), for processes that serve /metrics. */
  enableProcessMetrics(prefix = 'berth_'): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry, prefix });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition format (0.0.4): the registry's metrics, then every collector's. */
  async render(): Promise<string> {
    const parts = [await this.registry.metrics()];
    for (const [key, collect] of this.collectors) {
      try {
        parts.push(renderFamilies(await collect()));
      } catch (err) {
        // A failing collector must not take the others (or the scrape) down with it.
        parts.push(`# collector ${key} failed: ${String((err as Error).message).replace(/\n/g, ' ')}\n`);
      }
    }
    return parts.join('');
  }
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function renderFamilies(families: MetricFamily[]): string {
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      out += `${f.name}${l} ${formatValue(s.value)}\n`;
    }
  }
  return out;
}

let current: Metrics | undefined;

/** This process's metrics. */
export function processMetrics(): Metrics {
  current ??= new Metrics();
  return current;
}

/** Registers a scrape-time collector with this process's metrics; returns its removal. */
export function registerCollector(key: string, collect: Collector): () => void {
  return processMetrics().registerCollector(key, collect);
}
