import Database from 'better-sqlite3';

export type Db = Database.Database;

const SCHEMA_VERSION = 4;

/**
 * The image service's one SQLite database: images, names, leases (SqliteImageStore) and snapshots
 * (OverlaySnapshotter). WAL with synchronous=FULL: a change is on disk before any event says so.
 */
export function openImageDb(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new Error(`${file}: schema version ${version} is newer than this berth-image (${SCHEMA_VERSION})`);
  }
  if (version < 1) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS images (
        id TEXT PRIMARY KEY,
        config BLOB NOT NULL,
        manifest_digest TEXT NOT NULL,
        manifest_media_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        created TEXT NOT NULL,
        os TEXT NOT NULL,
        architecture TEXT NOT NULL,
        variant TEXT NOT NULL,
        labels TEXT NOT NULL,
        stored_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS image_layers (
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        digest TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        diff_id TEXT NOT NULL,
        chain_id TEXT NOT NULL,
        PRIMARY KEY (image_id, idx)
      );
      CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);
      CREATE TABLE IF NOT EXISTS refs (
        name TEXT PRIMARY KEY,
        repository TEXT NOT NULL,
        tag TEXT,
        digest TEXT,
        image_id TEXT NOT NULL REFERENCES images(id),
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS refs_image ON refs(image_id);
      CREATE TABLE IF NOT EXISTS leases (
        key TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id),
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS leases_image ON leases(image_id);
      -- key: the chain ID of a committed layer, the container ID of a writable snapshot, NULL while
      -- a layer is being unpacked. id names the directory, keeping overlay option strings short.
      CREATE TABLE IF NOT EXISTS snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('active', 'layer', 'container')),
        parent TEXT,
        size INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent);
      PRAGMA user_version = 1;
    `);
  }
  if (version < 2) {
    // v2: the uncompressed tar size of a layer (a saved image's tar entries need it up front).
    db.exec(`ALTER TABLE image_layers ADD COLUMN diff_size INTEGER; PRAGMA user_version = 2;`);
  }
  if (version < 3) {
    // v3: the image an image was made from (commit, import on a parent, build step): Docker's Parent.
    db.exec(`ALTER TABLE images ADD COLUMN parent TEXT; CREATE INDEX IF NOT EXISTS images_parent ON images(parent); PRAGMA user_version = 3;`);
  }
  if (version < 4) {
    // v4: the multi-platform index an image came from, and the blobs of that index kept here.
    db.exec(`
      ALTER TABLE images ADD COLUMN index_digest TEXT;
      ALTER TABLE images ADD COLUMN index_media_type TEXT;
      CREATE TABLE IF NOT EXISTS image_blobs (
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        digest TEXT NOT NULL,
        PRIMARY KEY (image_id, digest)
      );
      PRAGMA user_version = 4;
    `);
  }
  return db;
}
