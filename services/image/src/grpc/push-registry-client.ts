import { createClient, type BerthConfig, type Client } from '@berth/kit';
import { registry } from '@berth/proto';
import type { PushOutcome, PushSource, RegistryPusher } from '../domain/push-registry.js';
import type { RegistryAuth } from '../domain/registry.js';

/** PushBlob messages carry at most this many bytes (well under gRPC's 4 MiB message limit). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** The registry service's write side over gRPC (BlobExists, MountBlob, PushBlob, PushManifest). */
export class GrpcRegistryPusher implements RegistryPusher {
  private readonly client: Client<typeof registry.RegistryService>;

  constructor(address: string, config?: Pick<BerthConfig, 'tls'>) {
    this.client = createClient(registry.RegistryService, address, { ...(config && { tls: config.tls }) });
  }

  async blobExists(repository: string, digest: string, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<boolean> {
    const res = await this.client.blobExists({ repository, digest, ...(auth && { auth }) }, { ...(signal && { signal }) });
    return res.exists;
  }

  async mountBlob(repository: string, digest: string, from: string, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<boolean> {
    const res = await this.client.mountBlob({ repository, digest, fromRepository: from, ...(auth && { auth }) }, { ...(signal && { signal }) });
    return res.mounted;
  }

  async pushBlob(repository: string, source: PushSource, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<PushOutcome> {
    const header: registry.PushBlobHeader = {
      repository,
      digest: source.digest,
      size: source.size,
      chunkSize: 0,
      mountFrom: [],
      force: false,
      ...(auth && { auth }),
    };
    async function* messages(): AsyncGenerator<registry.PushBlobRequest> {
      yield { header, data: Buffer.alloc(0) };
      for await (const chunk of source.data) {
        const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        for (let at = 0; at < bytes.length; at += MAX_MESSAGE_BYTES) yield { data: bytes.subarray(at, at + MAX_MESSAGE_BYTES) };
      }
    }
    const requests = messages();
    try {
      const res = await this.client.pushBlob(requests, { ...(signal && { signal }) });
      return res.outcome === 'exists' || res.outcome === 'mounted' ? res.outcome : 'uploaded';
    } finally {
      // A call that failed leaves kit's pump waiting for a 'drain' that never comes: end the
      // generator so the content store's file is closed. Its own error would only repeat the call's.
      requests.return(undefined).catch(() => undefined);
    }
  }

  async pushManifest(
    repository: string,
    tag: string,
    mediaType: string,
    content: Buffer,
    auth: RegistryAuth | undefined,
    signal?: AbortSignal,
  ): Promise<{ digest: string }> {
    const res = await this.client.pushManifest({ repository, reference: tag, mediaType, content, ...(auth && { auth }) }, { ...(signal && { signal }) });
    return { digest: res.digest };
  }

  close(): void {
    this.client.close();
  }
}
