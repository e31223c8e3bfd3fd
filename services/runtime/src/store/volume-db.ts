import Database from 'better-sqlite3';
import type { Volume, VolumeStore } from '../domain/volume.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS volumes (
  name TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  labels TEXT NOT NULL,
  options TEXT NOT NULL,
  anonymous INTEGER NOT NULL DEFAULT 0
);
`;

interface Row { name: string; created_at: string; labels: string; options: string; anonymous: number }

/** Volumes in the runtime's database (its own connection to runtime.db; WAL lets both write). */
export class VolumeDb implements VolumeStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  insert(v: Volume): boolean {
    const res = this.db.prepare('INSERT OR IGNORE INTO volumes (name, created_at, labels, options, anonymous) VALUES (?, ?, ?, ?, ?)')
      .run(v.name, v.createdAt, JSON.stringify(v.labels), JSON.stringify(v.options), Number(v.anonymous));
    return res.changes > 0;
  }

  get(name: string): Volume | undefined {
    const row = this.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Row | undefined;
    return row && fromRow(row);
  }

  list(): Volume[] {
    return (this.db.prepare('SELECT * FROM volumes ORDER BY name').all() as Row[]).map(fromRow);
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
  }

  close(): void {
    this.db.close();
  }
}

function fromRow(r: Row): Volume {
  return {
    name: r.name, driver: 'local', createdAt: r.created_at, labels: JSON.parse(r.labels) as Record<string, string>,
    options: JSON.parse(r.options) as Record<string, string>, anonymous: r.anonymous !== 0,
  };
}
