import type { Readable } from 'node:stream';

/** Expected identity of a blob being written; both are checked before it becomes visible. */
export interface Expected {
  digest: string;
  size: number;
}

/**
 * An in-progress write. Bytes go to `<root>/ingest/<ref>`; `commit()` verifies size and digest
 * and only then renames the file to `blobs/sha256/<hex>`. A writer that is closed without commit
 * keeps its partial data, so a later writer for the same ref resumes at `offset`.
 */
export interface ContentWriter {
  /** Bytes already present when the writer was opened (a resumed ingest). */
  readonly offset: number;
  /** The ingest file, for a reader that follows it as it grows (see `flushed`). */
  readonly path: string;
  /** Bytes in the ingest file so far (writes are buffered: `written` may be ahead). */
  readonly flushed: number;
  /** The bytes already present, for consumers that need the blob from its start. */
  readExisting(): Readable;
  /**
   * The source of the bytes checks their digest itself and fails otherwise (the registry service
   * from offset 0), so commit checks the size only. Call before the first write. The bytes are
   * still checked end to end: the layer unpacked from this very file must match its diff ID.
   */
  trustSourceDigest(): void;
  /**
   * Counts bytes that another writer put into the ingest file (the registry service, writing
   * straight from its socket: `RegistryClient.fetchBlobInto`): the file holds `total` bytes now.
   * Only after trustSourceDigest, and with nothing written through `write`.
   */
  adopt(total: number): void;
  /** Copies the bytes (the caller may reuse its buffer); they reach the file later (see `flush`). */
  write(chunk: Uint8Array): Promise<void>;
  /** Writes out what is buffered, so that `flushed` counts every byte written. */
  flush(): Promise<void>;
  /** Verifies and publishes the blob; on a mismatch the ingest is removed and nothing is stored. */
  commit(): Promise<void>;
  /** Releases the writer, keeping partial data for a later resume. */
  close(): Promise<void>;
  /** Releases the writer and removes its partial data. */
  discard(): Promise<void>;
}

/** Content-addressed blob storage (containerd's content store, reduced to what berth uses). */
export interface ContentStore {
  /** The file of a committed blob (to read it in place). */
  blobPath(digest: string): string;
  /** Size of a committed blob, or undefined if absent. */
  info(digest: string): Promise<{ size: number; modifiedAt: number } | undefined>;
  /** Streams a committed blob. */
  reader(digest: string): Promise<Readable>;
  /**
   * A committed layer blob uncompressed (gzip, zstd or none, as `mediaType` says), as a stream
   * that errors if the decompressor fails.
   */
  openUncompressed(digest: string, mediaType: string, signal?: AbortSignal): Promise<Readable>;
  /** Stores a stream of unknown digest (an archive's file); returns what it was stored as. */
  putStream(source: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }>;
  /** Reads a whole committed blob; refuses blobs larger than maxBytes. */
  read(digest: string, maxBytes: number): Promise<Buffer>;
  /** Opens (or resumes) the ingest `ref`; waits while another writer holds the same ref. */
  writer(ref: string, expected: Expected): Promise<ContentWriter>;
  /** Stores small bytes in one go (manifests, configs), verified the same way. */
  put(bytes: Buffer, expected: Expected): Promise<void>;
  delete(digest: string): Promise<void>;
  list(): Promise<string[]>;
  /** Ingests (partial blobs kept for a resume), with their size and last write. */
  ingests(): Promise<Array<{ ref: string; size: number; modifiedAt: number }>>;
  /** Removes an ingest (waiting for its writer, if one holds it). */
  abortIngest(ref: string): Promise<void>;
}
