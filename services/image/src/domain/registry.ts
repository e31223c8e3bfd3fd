import type { Platform } from './types.js';

/** Credentials as the Engine API's X-Registry-Auth carries them. */
export interface RegistryAuth {
  username: string;
  password: string;
  identityToken: string;
  registryToken: string;
  serverAddress: string;
}

export interface Resolved {
  /** Canonical repository, "docker.io/library/busybox" or "127.0.0.1:5000/busybox". */
  repository: string;
  tag: string;
  /** Digest of what the reference names (an index for multi-platform images). */
  digest: string;
  manifestDigest: string;
  manifestMediaType: string;
  manifest: Buffer;
  /** The index `digest` names, when the reference names one: its media type and bytes. */
  index?: { mediaType: string; bytes: Buffer };
}

/** A manifest or index fetched by digest (verified by the registry service). */
export interface FetchedManifest {
  mediaType: string;
  content: Buffer;
}

export interface BlobChunk {
  data: Uint8Array;
  /** Full blob size, on the first chunk. */
  totalSize: number;
}

/**
 * What a pull needs from the registry service. `fetchBlob` from offset 0 ends without error only
 * if the blob's digest matched (from an offset there is nothing to check against). A chunk's
 * bytes may be reused once the consumer asks for the next chunk: copy what you keep.
 */
export interface RegistryClient {
  resolve(reference: string, platform: Platform | undefined, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<Resolved>;
  fetchBlob(repository: string, digest: string, offset: number, auth: RegistryAuth | undefined, signal?: AbortSignal): AsyncIterable<BlobChunk>;
  /**
   * The whole blob written by the registry service itself into `file` (an empty ingest file),
   * yielding the bytes in the file so far; ends without error only if the digest matched. The
   * bytes skip a socket and a copy in this service. Absent, or throwing IntoFileUnavailable before
   * any byte, when the registry service cannot write there: use fetchBlob.
   */
  fetchBlobInto?(repository: string, digest: string, file: string, auth: RegistryAuth | undefined, signal?: AbortSignal): AsyncIterable<number>;
  /** A manifest by digest (an index's children). */
  getManifest(repository: string, digest: string, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<FetchedManifest>;
}

/** fetchBlobInto cannot be used (the registry service may not write the file, or is not on this host). */
export class IntoFileUnavailable extends Error {}
