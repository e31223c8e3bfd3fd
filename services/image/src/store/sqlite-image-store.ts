import type Database from 'better-sqlite3';
import { failedPrecondition } from '@berth/kit';
import type { ImageStore } from '../domain/image-store.js';
import type { ImageRecord, IndexRecord, LayerRecord, RefRecord } from '../domain/types.js';
import type { Db } from './image-db.js';

interface ImageRow {
  id: string;
  config: Buffer;
  manifest_digest: string;
  manifest_media_type: string;
  size: number;
  created: string;
  os: string;
  architecture: string;
  variant: string;
  labels: string;
  stored_at: number;
  parent: string | null;
  index_digest: string | null;
  index_media_type: string | null;
}

interface RefRow {
  name: string;
  repository: string;
  tag: string | null;
  digest: string | null;
  image_id: string;
  created_at: number;
}

/** ImageStore on the service's SQLite database; every method is one transaction. */
export class SqliteImageStore implements ImageStore {
  constructor(private readonly db: Db) {}

  /** Each SQL text is compiled once (compiling costs more than running it; several run per container start). */
  private readonly statements = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  get(id: string): ImageRecord | undefined {
    const row = this.stmt('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return row && this.toRecord(row);
  }

  list(): ImageRecord[] {
    const rows = this.stmt('SELECT * FROM images ORDER BY stored_at DESC, id').all() as ImageRow[];
    return rows.map((r) => this.toRecord(r));
  }

  parentIds(): Set<string> {
    return new Set((this.stmt('SELECT DISTINCT parent FROM images WHERE parent IS NOT NULL').all() as Array<{ parent: string }>).map((r) => r.parent));
  }

  findByIdPrefix(hexPrefix: string): string[] {
    const rows = this.stmt("SELECT id FROM images WHERE substr(id, 8, ?) = ? LIMIT 2").all(hexPrefix.length, hexPrefix) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  ref(name: string): RefRecord | undefined {
    const row = this.stmt('SELECT * FROM refs WHERE name = ?').get(name) as RefRow | undefined;
    return row && toRef(row);
  }

  refsOf(imageId: string): RefRecord[] {
    const rows = this.stmt('SELECT * FROM refs WHERE image_id = ? ORDER BY created_at, name').all(imageId) as RefRow[];
    return rows.map(toRef);
  }

  putImage(image: ImageRecord, refs: RefRecord[]): { previous: Map<string, string | undefined> } {
    return this.db.transaction(() => {
      const exists = this.stmt('SELECT 1 FROM images WHERE id = ?').get(image.id) !== undefined;
      if (exists) {
        this.stmt('UPDATE images SET manifest_digest = ?, manifest_media_type = ? WHERE id = ?').run(image.manifestDigest, image.manifestMediaType, image.id);
      } else {
        this.db
          .prepare(`INSERT INTO images (id, config, manifest_digest, manifest_media_type, size, created, os, architecture, variant, labels, stored_at, parent)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(image.id, image.config, image.manifestDigest, image.manifestMediaType, image.size, image.created, image.os, image.architecture, image.variant, JSON.stringify(image.labels), image.storedAt, image.parent ?? null);
        const insert = this.stmt('INSERT INTO image_layers (image_id, idx, digest, media_type, size, diff_id, chain_id, diff_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
        image.layers.forEach((l, i) => insert.run(image.id, i, l.digest, l.mediaType, l.size, l.diffId, l.chainId, l.diffSize ?? null));
      }
      if (image.index) this.putIndex(image.id, image.index);
      const previous = new Map<string, string | undefined>();
      for (const ref of refs) previous.set(ref.name, this.setRef(ref));
      return { previous };
    }).immediate();
  }

  /**
   * Records the index an image came from, replacing an earlier one. A pull or load without an
   * index keeps what the image has: pulling one platform's manifest by digest does not make the
   * tags that name the whole index lose it.
   */
  private putIndex(imageId: string, index: IndexRecord): void {
    this.stmt('UPDATE images SET index_digest = ?, index_media_type = ? WHERE id = ?').run(index.digest, index.mediaType, imageId);
    this.stmt('DELETE FROM image_blobs WHERE image_id = ?').run(imageId);
    const insert = this.stmt('INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)');
    for (const digest of [index.digest, ...index.blobs]) insert.run(imageId, digest);
  }

  setRef(ref: RefRecord): string | undefined {
    const before = this.stmt('SELECT image_id FROM refs WHERE name = ?').get(ref.name) as { image_id: string } | undefined;
    this.db
      .prepare(`INSERT INTO refs (name, repository, tag, digest, image_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, created_at = excluded.created_at`)
      .run(ref.name, ref.repository, ref.tag ?? null, ref.digest ?? null, ref.imageId, Date.now());
    return before?.image_id;
  }

  knownDiffSize(diffId: string): number | undefined {
    const row = this.stmt('SELECT diff_size FROM image_layers WHERE diff_id = ? AND diff_size IS NOT NULL LIMIT 1').get(diffId) as { diff_size: number } | undefined;
    return row?.diff_size;
  }

  setDiffSize(diffId: string, diffSize: number): void {
    this.stmt('UPDATE image_layers SET diff_size = ? WHERE diff_id = ?').run(diffSize, diffId);
  }

  deleteRef(name: string): void {
    this.stmt('DELETE FROM refs WHERE name = ?').run(name);
  }

  deleteImage(id: string): void {
    this.db.transaction(() => {
      if (this.leasesOf(id).length > 0) throw failedPrecondition(`image ${id} is in use by a container`);
      this.stmt('DELETE FROM refs WHERE image_id = ?').run(id);
      this.stmt('DELETE FROM images WHERE id = ?').run(id);
    }).immediate();
  }

  addLease(key: string, imageId: string): void {
    this.stmt('INSERT INTO leases (key, image_id, created_at) VALUES (?, ?, ?)').run(key, imageId, Date.now());
  }

  removeLease(key: string): string | undefined {
    const row = this.stmt('DELETE FROM leases WHERE key = ? RETURNING image_id').get(key) as { image_id: string } | undefined;
    return row?.image_id;
  }

  leasesOf(imageId: string): string[] {
    return (this.stmt('SELECT key FROM leases WHERE image_id = ? ORDER BY created_at').all(imageId) as Array<{ key: string }>).map((r) => r.key);
  }

  referencedBlobs(): Set<string> {
    const rows = this.db
      .prepare(`SELECT id AS d FROM images UNION SELECT manifest_digest FROM images
                UNION SELECT digest FROM image_layers UNION SELECT digest FROM refs WHERE digest IS NOT NULL
                UNION SELECT digest FROM image_blobs`)
      .all() as Array<{ d: string }>;
    return new Set(rows.map((r) => r.d));
  }

  referencedChains(): Set<string> {
    return new Set((this.stmt('SELECT DISTINCT chain_id FROM image_layers').all() as Array<{ chain_id: string }>).map((r) => r.chain_id));
  }

  private toRecord(row: ImageRow): ImageRecord {
    const layers = this.db
      .prepare('SELECT digest, media_type, size, diff_id, chain_id, diff_size FROM image_layers WHERE image_id = ? ORDER BY idx')
      .all(row.id) as Array<{ digest: string; media_type: string; size: number; diff_id: string; chain_id: string; diff_size: number | null }>;
    return {
      id: row.id,
      config: row.config,
      manifestDigest: row.manifest_digest,
      manifestMediaType: row.manifest_media_type,
      size: row.size,
      created: row.created,
      os: row.os,
      architecture: row.architecture,
      variant: row.variant,
      labels: JSON.parse(row.labels) as Record<string, string>,
      layers: layers.map((l): LayerRecord => ({ digest: l.digest, mediaType: l.media_type, size: l.size, diffId: l.diff_id, chainId: l.chain_id, ...(l.diff_size !== null && { diffSize: l.diff_size }) })),
      storedAt: row.stored_at,
      ...(row.parent !== null && { parent: row.parent }),
      ...(row.index_digest !== null && { index: this.indexOf(row.id, row.index_digest, row.index_media_type ?? '') }),
    };
  }

  private indexOf(imageId: string, digest: string, mediaType: string): IndexRecord {
    const rows = this.stmt('SELECT digest FROM image_blobs WHERE image_id = ? ORDER BY digest').all(imageId) as Array<{ digest: string }>;
    return { digest, mediaType, blobs: rows.map((r) => r.digest) };
  }
}

function toRef(row: RefRow): RefRecord {
  return {
    name: row.name,
    repository: row.repository,
    ...(row.tag !== null && { tag: row.tag }),
    ...(row.digest !== null && { digest: row.digest }),
    imageId: row.image_id,
    createdAt: row.created_at,
  };
}
