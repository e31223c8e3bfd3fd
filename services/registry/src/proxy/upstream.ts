import { BerthError, errorKind, type Logger } from '@berth/kit';
import type { Credentials } from '../domain/auth.js';
import type { BlobStream } from '../domain/blob-reader.js';
import { DistributionClient, type DistributionClientOptions, type FetchedManifest } from '../domain/distribution-client.js';
import type { Reference } from '../domain/reference.js';
import { Metric, type ProxyMetrics } from './metrics.js';
import type { Repository } from './routes.js';

/** After an upstream failed to answer, cached content is served without asking it for this long. */
const DOWN_FOR_MS = 5_000;
/** Kinds that mean "the upstream cannot answer now", as opposed to an answer. */
const OUTAGE = new Set(['unavailable', 'resource_exhausted', 'deadline_exceeded']);

export function isOutage(err: unknown): boolean {
  return OUTAGE.has(errorKind(err));
}

export interface UpstreamOptions {
  client: DistributionClientOptions;
  credentials: Readonly<Record<string, { username: string; password: string }>>;
  metrics: ProxyMetrics;
  logger: Logger;
}

/**
 * The proxy's side of the upstream registries: the distribution client (auth, retries,
 * Retry-After, mirrors, verification) with the proxy's own credentials per registry, latency and
 * error metrics, and a short memory of outages so cached content is served at once while an
 * upstream is down. Revalidations use a client that tries once: a cached answer is at hand.
 */
export class Upstreams {
  private readonly client: DistributionClient;
  private readonly quick: DistributionClient;
  private readonly downUntil = new Map<string, number>();

  constructor(private readonly options: UpstreamOptions) {
    this.client = new DistributionClient(options.client);
    this.quick = new DistributionClient({ ...options.client, retry: { attempts: 1 }, timeoutMs: 5_000 });
  }

  isDown(host: string): boolean {
    return (this.downUntil.get(host) ?? 0) > Date.now();
  }

  getManifest(repo: Repository, ref: { tag?: string; digest?: string }): Promise<FetchedManifest> {
    return this.call(repo, 'manifest', (creds) => this.client.getManifest({ ...repo, ...ref } as Reference, { creds }));
  }

  /** What a tag points at now (HEAD), asked once. */
  headManifest(repo: Repository, tag: string): Promise<{ digest: string; mediaType: string; size: number }> {
    return this.call(repo, 'manifest_head', (creds) => this.quick.headManifest({ ...repo, tag }, { creds }));
  }

  fetchBlob(repo: Repository, digest: string, offset: number, signal: AbortSignal): Promise<BlobStream> {
    return this.call(repo, 'blob', (creds) => this.client.fetchBlob(repo, digest, { offset, creds, signal }));
  }

  statBlob(repo: Repository, digest: string): Promise<{ size: number; mediaType: string }> {
    return this.call(repo, 'blob_head', (creds) => this.client.statBlob(repo, digest, { creds }));
  }

  listTags(repo: Repository): Promise<string[]> {
    return this.call(repo, 'tags', (creds) => this.client.listTags(repo, { creds }));
  }

  close(): void {
    this.client.close();
    this.quick.close();
  }

  private async call<T>(repo: Repository, op: string, fn: (creds: Credentials | undefined) => Promise<T>): Promise<T> {
    const upstream = repo.domain;
    const creds = this.options.credentials[upstream];
    const { metrics } = this.options;
    metrics.inc(Metric.upstreamRequests, { upstream, op });
    const started = performance.now();
    try {
      const result = await fn(creds && { username: creds.username, password: creds.password });
      metrics.observe(Metric.upstreamLatency, (performance.now() - started) / 1000, { op });
      this.downUntil.delete(upstream);
      return result;
    } catch (err) {
      const kind = errorKind(err);
      metrics.inc(Metric.upstreamErrors, { upstream, kind });
      if (isOutage(err)) {
        this.downUntil.set(upstream, Date.now() + DOWN_FOR_MS);
        this.options.logger.warn({ upstream, op, err: (err as Error).message }, 'upstream cannot answer');
        throw new BerthError(kind, `upstream ${upstream}: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    }
  }
}
