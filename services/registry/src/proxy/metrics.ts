/**
 * The proxy's counters, kept in the service and rendered in the Prometheus text format (0.0.4)
 * on `GET /metrics`. Deliberately tiny: counters and one histogram, no client library.
 */

type Labels = Record<string, string>;

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: Map<string, number>;
}

/** Upstream latency buckets, seconds (time to response headers). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const Metric = {
  requests: 'berth_proxy_requests_total',
  cache: 'berth_proxy_cache_requests_total',
  servedBytes: 'berth_proxy_served_bytes_total',
  upstreamBytes: 'berth_proxy_upstream_bytes_total',
  upstreamRequests: 'berth_proxy_upstream_requests_total',
  upstreamErrors: 'berth_proxy_upstream_errors_total',
  upstreamLatency: 'berth_proxy_upstream_latency_seconds',
  staleServed: 'berth_proxy_stale_served_total',
  digestMismatch: 'berth_proxy_digest_mismatch_total',
  evictions: 'berth_proxy_cache_evictions_total',
  cacheBytes: 'berth_proxy_cache_bytes',
  cacheBlobs: 'berth_proxy_cache_blobs',
} as const;

const HELP: Record<string, [string, Family['type']]> = {
  [Metric.requests]: ['HTTP requests served, by operation and status code.', 'counter'],
  [Metric.cache]: ['Cache lookups by kind (manifest, tag, blob) and result (hit, miss, coalesced, stale).', 'counter'],
  [Metric.servedBytes]: ['Blob bytes sent to clients, by source (cache, inflight).', 'counter'],
  [Metric.upstreamBytes]: ['Blob bytes fetched from upstream registries.', 'counter'],
  [Metric.upstreamRequests]: ['Requests made to upstream registries, by upstream and operation.', 'counter'],
  [Metric.upstreamErrors]: ['Failed upstream requests, by upstream and error kind.', 'counter'],
  [Metric.upstreamLatency]: ['Upstream time to response, by operation.', 'histogram'],
  [Metric.staleServed]: ['Cached tags served because their upstream could not be asked.', 'counter'],
  [Metric.digestMismatch]: ['Upstream blobs whose bytes did not match their digest (discarded).', 'counter'],
  [Metric.evictions]: ['Blobs evicted from the cache to stay under its size limit.', 'counter'],
  [Metric.cacheBytes]: ['Bytes of cached blobs.', 'gauge'],
  [Metric.cacheBlobs]: ['Number of cached blobs.', 'gauge'],
};

export class ProxyMetrics {
  private readonly families = new Map<string, Family>();

  inc(name: string, labels: Labels = {}, by = 1): void {
    const values = this.family(name).values;
    const key = labelText(labels);
    values.set(key, (values.get(key) ?? 0) + by);
  }

  set(name: string, value: number, labels: Labels = {}): void {
    this.family(name).values.set(labelText(labels), value);
  }

  /** Records one upstream call's latency in the histogram. */
  observe(name: string, seconds: number, labels: Labels = {}): void {
    for (const le of [...BUCKETS.map(String), '+Inf']) {
      if (le === '+Inf' || seconds <= Number(le)) this.inc(`${name}_bucket`, { ...labels, le });
    }
    this.inc(`${name}_sum`, labels, seconds);
    this.inc(`${name}_count`, labels);
  }

  /** A counter's current value (tests and logs). */
  get(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.values.get(labelText(labels)) ?? 0;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, [help, type]] of Object.entries(HELP)) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      const series = type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => name + s) : [name];
      for (const s of series) {
        for (const [labels, value] of this.families.get(s)?.values ?? []) lines.push(`${s}${labels} ${formatValue(value)}`);
      }
    }
    return lines.join('\n') + '\n';
  }

  private family(name: string): Family {
    let f = this.families.get(name);
    if (!f) {
      const [help, type] = HELP[name] ?? ['', 'counter'];
      f = { help, type, values: new Map() };
      this.families.set(name, f);
    }
    return f;
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6);
}
