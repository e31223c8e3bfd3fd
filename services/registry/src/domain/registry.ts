import { Attr, startSpan, withSpan, type Logger } from '@berth/kit';
import type { Credentials } from './auth.js';
import type { BlobStream } from './blob-reader.js';
import { DistributionClient, type DistributionClientOptions, type FetchedManifest } from './distribution-client.js';
import { parseRepository, repositoryName } from './reference.js';
import { resolve, type ResolveOptions, type Resolved } from './resolver.js';

/** OpenTelemetry's SPAN_ERROR (kit wraps the API; this file only needs the one value). */
const SPAN_ERROR = 2;

export interface CallOptions {
  creds?: Credentials;
  signal?: AbortSignal;
}

/**
 * The registry service's use cases, one traced operation each. Repositories are given as names
 * ("busybox", "127.0.0.1:5000/busybox", "docker.io/library/busybox") and normalised here.
 */
export class Registry {
  private readonly client: DistributionClient;
  private readonly logger?: Logger;

  constructor(options: DistributionClientOptions = {}) {
    this.client = new DistributionClient(options);
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
    return { totalSize: blob.totalSize, chunks: traced(), close: () => blob.close() };
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

  close(): void {
    this.client.close();
  }
}
