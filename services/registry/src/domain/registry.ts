import { Attr, startSpan, withSpan, type Logger } from '@berth/kit';
import type { Credentials } from './auth.js';
import { BlobPusher, type BlobSource, type PushBlobOptions, type PushOutcome } from './blob-pusher.js';
import type { BlobStream } from './blob-reader.js';
import { DistributionClient, type DistributionClientOptions, type FetchedManifest } from './distribution-client.js';
import { pushManifest } from './manifest-pusher.js';
import { parseRepository, repositoryName } from './reference.js';
import { resolve, type ResolveOptions, type Resolved } from './resolver.js';
import { Searcher, type SearchOptions, type SearchResult, type SearchSettings } from './searcher.js';

/** OpenTelemetry's SPAN_ERROR (kit wraps the API; this file only needs the one value). */
const SPAN_ERROR = 2;

export interface CallOptions {
  creds?: Credentials;
  signal?: AbortSignal;
}

export interface RegistryOptions extends DistributionClientOptions {
  search?: Partial<SearchSettings>;
}

export const DEFAULT_SEARCH: SearchSettings = { registries: [], indexUrl: 'https://index.docker.io' };

/**
 * The registry service's use cases, one traced operation each. Repositories are given as names
 * ("busybox", "127.0.0.1:5000/busybox", "docker.io/library/busybox") and normalised here.
 */
export class Registry {
  private readonly client: DistributionClient;
  private readonly pusher: BlobPusher;
  private readonly searcher: Searcher;
  private readonly logger?: Logger;

  constructor(options: RegistryOptions = {}) {
    this.client = new DistributionClient(options);
    this.pusher = new BlobPusher(this.client.transport);
    this.searcher = new Searcher(this.client.transport, { ...DEFAULT_SEARCH, ...options.search });
    this.logger = options.logger;
  }

  resolve(reference: string, opts: ResolveOptions = {}): Promise<Resolved> {
    return withSpan('registry.Resolve', { [Attr.ImageRef]: reference }, async (span) => {
      const resolved = await resolve(this.client, reference, opts);
      span.setAttribute(Attr.Digest, resolved.digest);
      this.logger?.debug({ reference, digest: resolved.digest, manifest: resolved.manifestDigest }, 'resolved');
      return resolved;
    });
  }

  getManifest(repository: string, digest: string, opts: CallOptions = {}): Promise<FetchedManifest> {
    const repo = parseRepository(repository);
    return withSpan('registry.GetManifest', { [Attr.Registry]: repo.domain, [Attr.Digest]: digest }, () =>
      this.client.getManifest({ ...repo, digest }, opts),
    );
  }

  /** The span lasts as long as the stream: it ends when the chunks are consumed or abandoned. */
  async fetchBlob(repository: string, digest: string, opts: CallOptions & { offset?: number } = {}): Promise<BlobStream> {
    const repo = parseRepository(repository);
    const span = startSpan('registry.FetchBlob', { [Attr.Registry]: repo.domain, [Attr.Digest]: digest });
    let blob: BlobStream;
    try {
      blob = await this.client.fetchBlob(repo, digest, opts);
    } catch (err) {
      span.setStatus({ code: SPAN_ERROR, message: (err as Error).message });
      span.end();
      throw err;
    }
    async function* traced(): AsyncGenerator<Buffer> {
      let bytes = 0;
      try {
        for await (const chunk of blob.chunks) {
          bytes += chunk.length;
          yield chunk;
        }
      } catch (err) {
        span.setStatus({ code: SPAN_ERROR, message: (err as Error).message });
        throw err;
      } finally {
        blob.close();
        span.setAttribute(Attr.Bytes, bytes);
        span.end();
      }
    }
    return { totalSize: blob.totalSize, chunks: traced(), close: () => blob.close(), recycle: (chunk) => blob.recycle(chunk) };
  }

  statBlob(repository: string, digest: string, opts: CallOptions = {}): Promise<{ size: number; mediaType: string }> {
    const repo = parseRepository(repository);
    return withSpan('registry.StatBlob', { [Attr.Registry]: repo.domain, [Attr.Digest]: digest }, () =>
      this.client.statBlob(repo, digest, opts),
    );
  }

  listTags(repository: string, opts: CallOptions = {}): Promise<string[]> {
    const repo = parseRepository(repository);
    return withSpan('registry.ListTags', { [Attr.Registry]: repositoryName(repo) }, () => this.client.listTags(repo, opts));
  }

  login(serverAddress: string, creds: Credentials, signal?: AbortSignal): Promise<{ status: string; identityToken: string }> {
    return withSpan('registry.Login', { [Attr.Registry]: serverAddress }, () => this.client.login(serverAddress, creds, signal));
  }

  blobExists(repository: string, digest: string, opts: CallOptions = {}): Promise<{ exists: boolean; size: number }> {
    const repo = parseRepository(repository);
    return withSpan('registry.BlobExists', { [Attr.Registry]: repo.domain, [Attr.Digest]: digest }, () => this.pusher.exists(repo, digest, opts));
  }

  mountBlob(repository: string, digest: string, fromRepository: string, opts: CallOptions = {}): Promise<{ mounted: boolean }> {
    const repo = parseRepository(repository);
    const from = parseRepository(fromRepository);
    return withSpan('registry.MountBlob', { [Attr.Registry]: repo.domain, [Attr.Digest]: digest }, async () => {
      const { mounted } = await this.pusher.mount(repo, digest, from, opts);
      return { mounted };
    });
  }

  pushBlob(
    repository: string,
    source: BlobSource,
    opts: CallOptions & Omit<PushBlobOptions, 'mountFrom'> & { mountFrom?: string[] } = {},
  ): Promise<{ outcome: PushOutcome; digest: string; size: number }> {
    const repo = parseRepository(repository);
    const mountFrom = (opts.mountFrom ?? []).map(parseRepository);
    return withSpan('registry.PushBlob', { [Attr.Registry]: repo.domain, [Attr.Digest]: source.digest }, async (span) => {
      const pushed = await this.pusher.push(repo, source, { ...opts, mountFrom });
      span.setAttribute(Attr.Bytes, pushed.outcome === 'uploaded' ? pushed.size : 0);
      this.logger?.debug({ repository, digest: source.digest, outcome: pushed.outcome }, 'blob pushed');
      return pushed;
    });
  }

  pushManifest(repository: string, reference: string, mediaType: string, content: Buffer, opts: CallOptions = {}): Promise<{ digest: string; mediaType: string }> {
    const repo = parseRepository(repository);
    return withSpan('registry.PushManifest', { [Attr.Registry]: repositoryName(repo) }, async (span) => {
      const pushed = await pushManifest(this.client.transport, repo, reference, mediaType, content, opts);
      span.setAttribute(Attr.Digest, pushed.digest);
      return pushed;
    });
  }

  search(term: string, opts: SearchOptions = {}): Promise<SearchResult[]> {
    return withSpan('registry.Search', {}, () => this.searcher.search(term, opts));
  }

  close(): void {
    this.client.close();
  }
}
