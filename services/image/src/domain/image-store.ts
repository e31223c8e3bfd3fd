import type { ImageRecord, RefRecord } from './types.js';

/**
 * Image metadata: images, the names pointing at them, and the leases containers hold on them.
 * Calls are synchronous and each is one transaction (SQLite underneath).
 */
export interface ImageStore {
  get(id: string): ImageRecord | undefined;
  list(): ImageRecord[];
  /** Ids of the images some stored image names as its parent. */
  parentIds(): Set<string>;
  /** Image ids starting with `hexPrefix` (no "sha256:"). */
  findByIdPrefix(hexPrefix: string): string[];
  ref(name: string): RefRecord | undefined;
  refsOf(imageId: string): RefRecord[];
  /**
   * Stores the image (or refreshes its manifest, and its index when the record has one) and points
   * `refs` at it, in one transaction.
   */
  putImage(image: ImageRecord, refs: RefRecord[]): { previous: Map<string, string | undefined> };
  /** Points a name at an image; returns the image it pointed at before, if any. */
  setRef(ref: RefRecord): string | undefined;
  deleteRef(name: string): void;
  /** Deletes the image row (its refs must be gone); refuses while leased. */
  deleteImage(id: string): void;
  addLease(key: string, imageId: string): void;
  /** Removes a lease; returns the image it was on. */
  removeLease(key: string): string | undefined;
  leasesOf(imageId: string): string[];
  /** Every blob digest some stored image needs (configs, manifests, layers, its index's content). */
  referencedBlobs(): Set<string>;
  /** The uncompressed tar size of a layer with this diff ID, if some image recorded it. */
  knownDiffSize(diffId: string): number | undefined;
  /** Records the uncompressed tar size of every layer with this diff ID. */
  setDiffSize(diffId: string, diffSize: number): void;
  /** Every layer chain ID some stored image needs. */
  referencedChains(): Set<string>;
}
