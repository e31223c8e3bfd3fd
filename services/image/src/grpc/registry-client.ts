import { createClient, type Client } from '@berth/kit';
import { registry } from '@berth/proto';
import type { BlobChunk, RegistryAuth, RegistryClient, Resolved } from '../domain/registry.js';
import type { Platform } from '../domain/types.js';

/** The registry service over gRPC, shaped as the pull use case wants it. */
export class GrpcRegistryClient implements RegistryClient {
  private readonly client: Client<typeof registry.RegistryService>;

  constructor(address: string) {
    this.client = createClient(registry.RegistryService, address);
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
    };
  }

  async *fetchBlob(repository: string, digest: string, offset: number, auth: RegistryAuth | undefined, signal?: AbortSignal): AsyncIterable<BlobChunk> {
    const stream = this.client.fetchBlob({ repository, digest, offset, ...(auth && { auth }) }, { ...(signal && { signal }) });
    for await (const chunk of stream) yield { data: chunk.data, totalSize: chunk.totalSize };
  }

  close(): void {
    this.client.close();
  }
}
