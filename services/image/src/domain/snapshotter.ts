import type { Readable } from 'node:stream';
import type { Mount } from './types.js';

/** A layer snapshot being extracted: not visible to anyone until committed under its chain ID. */
export interface ActiveLayer {
  /** Internal id of the snapshot row. */
  readonly id: number;
  /** Directory the layer is unpacked into. */
  readonly dir: string;
}

/**
 * Overlay snapshots: one committed, read-only snapshot per layer chain ID, and one writable
 * snapshot per container (keyed by the container ID) on top of an image's top layer.
 */
export interface Snapshotter {
  /** Unpacked size of the committed layer stack `chainId`'s top layer, or undefined if absent. */
  layerSize(chainId: string): number | undefined;
  /** When the committed layer `chainId` was started (ms since the epoch), or undefined if absent. */
  layerCreatedAt(chainId: string): number | undefined;
  /** Directories of the committed layer `chainId` and all below it, topmost first. */
  layerDirs(chainId: string): string[];
  /**
   * Starts a new layer. Its parent is named only at commit, so layers of one image can be
   * unpacked at the same time, each into its own directory.
   */
  prepareLayer(): Promise<ActiveLayer>;
  /**
   * Makes the active layer visible as `chainId` on top of the committed `parent`, with unpacked
   * size `size`. If the chain ID is committed already (a concurrent pull), the active layer is
   * dropped and the existing one kept.
   */
  commitLayer(active: ActiveLayer, chainId: string, parent: string | undefined, size: number): Promise<void>;
  /** Throws away an uncommitted layer and its files. */
  abortLayer(active: ActiveLayer): Promise<void>;
  /** Removes a committed layer; refuses while another snapshot is on top of it. */
  removeLayer(chainId: string): Promise<void>;
  /** Every committed layer's chain ID. */
  layers(): string[];
  /** Keys of the snapshots directly on top of layer `chainId` (layers and containers). */
  layerChildren(chainId: string): string[];
  /** A writable snapshot `key` on top of layer `parent` (undefined: an empty image). */
  prepare(key: string, parent: string | undefined): Promise<Mount[]>;
  mounts(key: string): Mount[];
  /** Keys of the writable (container) snapshots. */
  containerKeys(): string[];
  /** Bytes of regular files in the writable snapshot `key` (what the container wrote). */
  usage(key: string): Promise<number>;
  /** Removes the writable snapshot `key`; no error if it does not exist. */
  remove(key: string): Promise<void>;
  /** The layer the writable snapshot `key` sits on (undefined: an empty image); not_found without it. */
  parentOf(key: string): string | undefined;
  /**
   * The changes in the writable snapshot `key` as a layer tar (whiteouts as `.wh.` entries), or
   * undefined when there are none. Pause what writes to it first.
   */
  diff(key: string, signal?: AbortSignal): Promise<Readable | undefined>;
}

/** A layer tar stored as a blob, as `LayerWriter` made it. */
export interface StoredLayer {
  /** The blob (gzip). */
  digest: string;
  size: number;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

/** Stores a layer tar (plain, gzip or zstd) in the content store as a gzip blob. */
export interface LayerWriter {
  store(source: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<StoredLayer>;
}

/** Where and how one layer is unpacked. */
export interface UnpackTarget {
  dir: string;
  /** Directories of the layers below, topmost first, once they are committed (hard links into them wait for this). */
  lowers(): Promise<readonly string[]>;
  /** The blob's digest, for traces. */
  digest?: string;
  signal?: AbortSignal;
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar, to be checked against the config's diff_ids. */
  diffId: string;
  /** Regular-file bytes written. */
  size: number;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

/** A layer being unpacked from a blob file that may still be growing (it downloads meanwhile). */
export interface UnpackJob {
  /** The first `size` bytes of the file are written and final. */
  grow(size: number): void;
  /** The file is complete at `size` bytes. */
  end(size: number): void;
  /** Stops the job (the download failed): `done` rejects once the unpacker has let go of the directory. */
  abort(reason: Error): void;
  /** Compressed bytes the unpacker has read so far. */
  readonly consumed: number;
  /** Settles when the whole tar is applied; rejects at the first failure, which may come before `end`. */
  readonly done: Promise<UnpackResult>;
}

/** Decompresses a layer blob as it is written and applies its tar to a snapshot directory. */
export interface LayerUnpacker {
  /** Starts unpacking `file` from its first byte; it is opened at once, so it may be renamed after. */
  start(file: string, mediaType: string, target: UnpackTarget): UnpackJob;
}
