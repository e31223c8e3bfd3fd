import type { EventPublisher, Logger } from '@berth/kit';
import type { ContentStore } from './content-store.js';
import type { ImageLocks } from './context.js';
import type { ImageStore } from './image-store.js';
import type { RegistryAuth } from './registry.js';

/** A blob to upload: what the registry must end up with. */
export interface PushSource {
  digest: string;
  size: number;
  /** The bytes, exactly `size` of them, hashing to `digest`. */
  data: AsyncIterable<Uint8Array>;
}

/** What the registry service answered for an upload. */
export type PushOutcome = 'uploaded' | 'exists' | 'mounted';

/**
 * The write side of the registry service, shaped as the push use case wants it. Repositories are
 * canonical ("127.0.0.1:5000/busybox"); every call goes to the registry itself, never a mirror.
 */
export interface RegistryPusher {
  /** Whether the repository already has the blob (HEAD). */
  blobExists(repository: string, digest: string, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<boolean>;
  /** A cross-repository mount within one registry; false when the registry declined. */
  mountBlob(repository: string, digest: string, from: string, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<boolean>;
  /** Uploads a blob (skipped when the registry has it). */
  pushBlob(repository: string, source: PushSource, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<PushOutcome>;
  /** PUTs a manifest under a tag; answers the digest the registry stored it as. */
  pushManifest(
    repository: string,
    tag: string,
    mediaType: string,
    content: Buffer,
    auth: RegistryAuth | undefined,
    signal?: AbortSignal,
  ): Promise<{ digest: string }>;
}

/** What pushing needs; built in compose.ts from the image context and the registry service. */
export interface PushRegistryDeps {
  content: ContentStore;
  images: ImageStore;
  registry: RegistryPusher;
  locks: ImageLocks;
  publisher: EventPublisher;
  logger: Logger;
  maxManifestBytes: number;
}
