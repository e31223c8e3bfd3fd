/**
 * The image service's domain types. Nothing here knows gRPC or SQLite: the grpc/ layer converts
 * these to and from the proto messages, the store/ layer persists them.
 */

/** An OCI content descriptor, as manifests reference blobs. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  /** Where a foreign (non-distributable) layer lives besides the registry. */
  urls?: string[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** One layer of a stored image, bottom first in `ImageRecord.layers`. */
export interface LayerRecord {
  /** Digest of the blob as the registry serves it (compressed). */
  digest: string;
  mediaType: string;
  /** Size of the blob. */
  size: number;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  /** Identity of the layer stack up to and including this layer: the snapshot key. */
  chainId: string;
  /** Bytes of the uncompressed tar, once known (pulls before schema v2 did not record it). */
  diffSize?: number;
}

/** An image as the metadata store keeps it; `id` is "sha256:<config digest>". */
export interface ImageRecord {
  id: string;
  /** The config JSON exactly as pulled (its digest is the id). */
  config: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  /** Unpacked size in bytes (regular file contents of all layers). */
  size: number;
  /** `created` of the image config (RFC 3339), "" when absent. */
  created: string;
  os: string;
  architecture: string;
  variant: string;
  labels: Record<string, string>;
  layers: LayerRecord[];
  /** When this engine stored it (ms since the epoch). */
  storedAt: number;
  /** The image this one was made from here (commit, import on a parent, a build step); absent for pulled and loaded images. */
  parent?: string;
  /** The multi-platform index it was pulled or loaded as (absent for a single-platform image). */
  index?: IndexRecord;
}

/**
 * A multi-platform index an image came from (Docker's containerd store keeps the index as the
 * image's target). The image stays the host platform's (its id is that config's digest); the
 * index and whatever of its other platforms' content is here are kept, so a push can send it all.
 */
export interface IndexRecord {
  digest: string;
  mediaType: string;
  /** Every blob of the index held locally: the index, child manifests, configs, layers present. */
  blobs: string[];
}

/**
 * A name pointing at an image. `name` is the canonical string ("docker.io/library/busybox:latest" or
 * "docker.io/library/busybox@sha256:…") and the primary key; exactly one of tag and digest is set.
 */
export interface RefRecord {
  name: string;
  repository: string;
  tag?: string;
  digest?: string;
  imageId: string;
  /** When the name was pointed at the image (ms since the epoch); set by the store. */
  createdAt?: number;
}

/** An image with what callers see besides the record: its names and its users. */
export interface ImageView extends ImageRecord {
  /** Familiar "repo:tag" strings, as Docker prints them ("busybox:latest"). */
  repoTags: string[];
  /** Familiar "repo@sha256:…" strings. */
  repoDigests: string[];
  /** Containers holding a snapshot lease on it. */
  containers: number;
  /** When a tag last pointed here (ms since the epoch), undefined if never tagged. */
  lastTagTime?: number;
}

/** A filesystem mount as the kernel takes it (containerd's shape). */
export interface Mount {
  type: string;
  source: string;
  target: string;
  options: string[];
}

/** One progress message of a pull, in Docker's vocabulary. */
export interface PullProgress {
  /** Short layer id (12 hex), the tag for "Pulling from", or "" for image-wide status. */
  id: string;
  status: string;
  current: number;
  total: number;
  /** Set on the last message only. */
  image?: ImageView;
}

/** Docker's ImageDelete answer: names untagged, then ids deleted. */
export interface RemoveResult {
  untagged: string[];
  deleted: string[];
}

/** Limits on what a registry may send us; a lying or hostile registry stops at these. */
export interface PullLimits {
  maxManifestBytes: number;
  maxConfigBytes: number;
  /** Decompressed size of one layer (a gzip bomb stops here). */
  maxLayerBytes: number;
  /** Layers fetched at the same time. */
  concurrency: number;
}

export const DEFAULT_LIMITS: PullLimits = {
  maxManifestBytes: 4 * 1024 * 1024,
  maxConfigBytes: 8 * 1024 * 1024,
  maxLayerBytes: 64 * 1024 ** 3,
  concurrency: 3,
};
