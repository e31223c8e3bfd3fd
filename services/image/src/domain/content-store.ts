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
  /** The bytes already present, for consumers that need the blob from its start. */
  readExisting(): Readable;
  write(chunk: Uint8Array): Promise<void>;
  /** Verifies and publishes the blob; on a mismatch the ingest is removed and nothing is stored. */
  commit(): Promise<void>;
  /** Releases the writer, keeping partial data for a later resume. */
  close(): Promise<void>;
  /** Releases the writer and removes its partial data. */
  discard(): Promise<void>;
}

/** Content-addressed blob storage (containerd's content store, reduced to what berth uses). */
export interface ContentStore {
  /** Size of a committed blob, or undefined if absent. */
  info(digest: string): Promise<{ size: number } | undefined>;
  /** Streams a committed blob. */
  reader(digest: string): Promise<Readable>;
  /** Reads a whole committed blob; refuses blobs larger than maxBytes. */
  read(digest: string, maxBytes: number): Promise<Buffer>;
  /** Opens (or resumes) the ingest `ref`; waits while another writer holds the same ref. */
  writer(ref: string, expected: Expected): Promise<ContentWriter>;
  /** Stores small bytes in one go (manifests, configs), verified the same way. */
  put(bytes: Buffer, expected: Expected): Promise<void>;
  delete(digest: string): Promise<void>;
  list(): Promise<string[]>;
}
