import { createClient, type BerthConfig, type Client, type Logger } from '@berth/kit';
import { registry } from '@berth/proto';
import { BlobSocketUnavailable, streamBlob, streamBlobInto } from './blob-socket-client.js';
import { IntoFileUnavailable, type BlobChunk, type FetchedManifest, type RegistryAuth, type RegistryClient, type Resolved } from '../domain/registry.js';
import type { Platform } from '../domain/types.js';

const RECEIVE_WINDOW = 16 * 1024 * 1024;

/**
 * The registry service over gRPC, shaped as the pull use case wants it. Blob bytes come through
 * StreamBlob's unix socket when the registry service is on this host, else through FetchBlob.
 */
export class GrpcRegistryClient implements RegistryClient {
  private readonly client: Client<typeof registry.RegistryService>;

  /** Whether blobs come through StreamBlob's socket (a registry service on this host). */
  private sameHost: boolean;

  constructor(
    address: string,
    config?: Pick<BerthConfig, 'tls'>,
    private readonly logger?: Logger,
  ) {
    this.sameHost = address.startsWith('unix://');
    // Blob bytes stream through here: a large HTTP/2 window keeps the registry service sending.
    this.client = createClient(registry.RegistryService, address, { ...(config && { tls: config.tls }), receiveWindowBytes: RECEIVE_WINDOW });
  }

  async resolve(reference: string, platform: Platform | undefined, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<Resolved> {
    const res = await this.client.resolve(
      { reference, ...(platform && { platform: { os: platform.os, architecture: platform.architecture, variant: platform.variant ?? '' } }), ...(auth && { auth }) },
      { ...(signal && { signal }) },
    );
    return {
      repository: res.repository,
      tag: res.tag,
      digest: res.digest,
      manifestDigest: res.manifestDigest,
      manifestMediaType: res.manifestMediaType,
      manifest: Buffer.from(res.manifest),
      ...(res.index.length > 0 && { index: { mediaType: res.mediaType, bytes: Buffer.from(res.index) } }),
    };
  }

  async getManifest(repository: string, digest: string, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.client.getManifest({ repository, digest, ...(auth && { auth }) }, { ...(signal && { signal }) });
    return { mediaType: res.mediaType, content: Buffer.from(res.content) };
  }

  async *fetchBlob(repository: string, digest: string, offset: number, auth: RegistryAuth | undefined, signal?: AbortSignal): AsyncIterable<BlobChunk> {
    const request = { repository, digest, offset, intoFile: '', ...(auth && { auth }) };
    if (this.sameHost) {
      try {
        return yield* streamBlob(this.client, request, signal);
      } catch (err) {
        if (!(err instanceof BlobSocketUnavailable)) throw err;
        this.sameHost = false; // not offered: FetchBlob from now on
      }
    }
    const stream = this.client.fetchBlob(request, { ...(signal && { signal }) });
    for await (const chunk of stream) yield { data: chunk.data, totalSize: chunk.totalSize };
  }

  /** Whether the registry service writes blobs into ingest files itself (until it refuses once). */
  private intoFile = true;

  async *fetchBlobInto(repository: string, digest: string, file: string, auth: RegistryAuth | undefined, signal?: AbortSignal): AsyncIterable<number> {
    if (!this.sameHost || !this.intoFile) throw new IntoFileUnavailable('the registry service does not write into ingest files');
    try {
      return yield* streamBlobInto(this.client, { repository, digest, offset: 0, intoFile: file, ...(auth && { auth }) }, signal);
    } catch (err) {
      if (err instanceof IntoFileUnavailable) {
        this.intoFile = false; // the socket from now on
        this.logger?.warn({ reason: err.message }, 'the registry service does not write layers into ingest files: their bytes go through this service');
      }
      throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}
