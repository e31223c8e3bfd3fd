import type Database from 'better-sqlite3';
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import path from 'node:path';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '@berth/kit';
import type { ActiveLayer, Snapshotter } from '../domain/snapshotter.js';
import type { Mount } from '../domain/types.js';
import { dirSize } from './dir-size.js';
import type { Db } from './image-db.js';
import { packEntries, upperDirEntries } from './overlay-diff.js';

interface SnapshotRow {
  id: number;
  key: string | null;
  kind: 'active' | 'layer' | 'container';
  parent: string | null;
  size: number;
}

const CONTAINER_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Overlay snapshots under `<root>/<n>/`: `fs` holds a layer's files (or a container's upper dir),
 * `work` the overlay work dir of a container. `n` is the row id, so a 100-layer lowerdir option
 * stays well under the kernel's one-page limit. Rows live in the service's SQLite database.
 */
export class OverlaySnapshotter implements Snapshotter {
  constructor(
    private readonly root: string,
    private readonly db: Db,
  ) {
    if (/[:,]/.test(root)) throw invalidArgument(`snapshot root ${root} must not contain ':' or ','`);
  }

  /** Each SQL text is compiled once (compiling costs more than running it; several run per container start). */
  private readonly statements = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** Creates the root and drops what a crash left: unfinished layers and directories without rows. */
  async init(): Promise<void> {
    await mkdir(path.join(this.root, 'empty'), { recursive: true });
    const active = this.stmt("SELECT id FROM snapshots WHERE kind = 'active'").all() as Array<{ id: number }>;
    for (const { id } of active) {
      await rm(this.dir(id), { recursive: true, force: true });
      this.stmt('DELETE FROM snapshots WHERE id = ?').run(id);
    }
    const known = new Set((this.stmt('SELECT id FROM snapshots').all() as Array<{ id: number }>).map((r) => String(r.id)));
    for (const name of await readdir(this.root)) {
      if (/^\d+$/.test(name) && !known.has(name)) await rm(path.join(this.root, name), { recursive: true, force: true });
    }
  }

  layerSize(chainId: string): number | undefined {
    return this.layer(chainId)?.size;
  }

  layerCreatedAt(chainId: string): number | undefined {
    const row = this.stmt("SELECT created_at FROM snapshots WHERE key = ? AND kind = 'layer'").get(chainId) as { created_at: number } | undefined;
    return row?.created_at;
  }

  layerDirs(chainId: string): string[] {
    const dirs: string[] = [];
    for (let key: string | null = chainId; key !== null; ) {
      const row = this.layer(key);
      if (!row) throw notFound(`layer ${key} not found`);
      dirs.push(this.fsDir(row.id));
      key = row.parent;
    }
    return dirs;
  }

  async prepareLayer(): Promise<ActiveLayer> {
    const { lastInsertRowid } = this.stmt("INSERT INTO snapshots (kind, created_at) VALUES ('active', ?)").run(Date.now());
    const id = Number(lastInsertRowid);
    await mkdir(this.fsDir(id), { recursive: true });
    return { id, dir: this.fsDir(id) };
  }

  async commitLayer(active: ActiveLayer, chainId: string, parent: string | undefined, size: number): Promise<void> {
    const committed = this.db.transaction(() => {
      if (this.layer(chainId)) return false;
      if (parent !== undefined && !this.layer(parent)) throw failedPrecondition(`parent layer ${parent} is not committed`);
      this.stmt("UPDATE snapshots SET key = ?, kind = 'layer', parent = ?, size = ? WHERE id = ? AND kind = 'active'").run(chainId, parent ?? null, size, active.id);
      return true;
    }).immediate();
    if (!committed) await this.abortLayer(active);
  }

  async abortLayer(active: ActiveLayer): Promise<void> {
    await rm(this.dir(active.id), { recursive: true, force: true });
    this.stmt("DELETE FROM snapshots WHERE id = ? AND kind = 'active'").run(active.id);
  }

  async removeLayer(chainId: string): Promise<void> {
    const row = this.layer(chainId);
    if (!row) return;
    const children = this.layerChildren(chainId);
    if (children.length > 0) throw failedPrecondition(`layer ${chainId} has ${children.length} snapshot(s) on top of it`);
    await rm(this.dir(row.id), { recursive: true, force: true });
    this.stmt('DELETE FROM snapshots WHERE id = ?').run(row.id);
  }

  layers(): string[] {
    return (this.stmt("SELECT key FROM snapshots WHERE kind = 'layer' ORDER BY id").all() as Array<{ key: string }>).map((r) => r.key);
  }

  layerChildren(chainId: string): string[] {
    return (this.stmt('SELECT key FROM snapshots WHERE parent = ?').all(chainId) as Array<{ key: string }>).map((r) => r.key);
  }

  async prepare(key: string, parent: string | undefined): Promise<Mount[]> {
    if (!CONTAINER_KEY.test(key)) throw invalidArgument(`invalid snapshot key ${JSON.stringify(key)}`);
    const id = this.db.transaction(() => {
      if (this.row(key)) throw alreadyExists(`snapshot ${key} already exists`);
      if (parent !== undefined && !this.layer(parent)) throw notFound(`layer ${parent} not found`);
      const res = this.stmt("INSERT INTO snapshots (key, kind, parent, created_at) VALUES (?, 'container', ?, ?)").run(key, parent ?? null, Date.now());
      return Number(res.lastInsertRowid);
    }).immediate();
    try {
      await mkdir(this.fsDir(id), { recursive: true, mode: 0o755 });
      await mkdir(path.join(this.dir(id), 'work'), { recursive: true, mode: 0o700 });
    } catch (err) {
      await this.remove(key);
      throw err;
    }
    return this.mounts(key);
  }

  mounts(key: string): Mount[] {
    const row = this.row(key);
    if (!row || row.kind !== 'container') throw notFound(`snapshot ${key} not found`);
    const lowers = row.parent === null ? [path.join(this.root, 'empty')] : this.layerDirs(row.parent);
    return [
      {
        type: 'overlay',
        source: 'overlay',
        target: '',
        options: [`lowerdir=${lowers.join(':')}`, `upperdir=${this.fsDir(row.id)}`, `workdir=${path.join(this.dir(row.id), 'work')}`],
      },
    ];
  }

  containerKeys(): string[] {
    return (this.stmt("SELECT key FROM snapshots WHERE kind = 'container' ORDER BY id").all() as Array<{ key: string }>).map((r) => r.key);
  }

  async usage(key: string): Promise<number> {
    const row = this.row(key);
    if (!row || row.kind !== 'container') throw notFound(`snapshot ${key} not found`);
    return dirSize(this.fsDir(row.id));
  }

  async remove(key: string): Promise<void> {
    const row = this.row(key);
    if (!row || row.kind !== 'container') return;
    await rm(this.dir(row.id), { recursive: true, force: true });
    this.stmt('DELETE FROM snapshots WHERE id = ?').run(row.id);
  }

  parentOf(key: string): string | undefined {
    return this.container(key).parent ?? undefined;
  }

  async diff(key: string, signal?: AbortSignal): Promise<Readable | undefined> {
    const row = this.container(key);
    const lowers = row.parent === null ? [] : this.layerDirs(row.parent);
    const entries = await upperDirEntries({ upper: this.fsDir(row.id), lowers });
    return entries.length === 0 ? undefined : packEntries(entries, signal);
  }

  private container(key: string): SnapshotRow {
    const row = this.row(key);
    if (!row || row.kind !== 'container') throw notFound(`snapshot ${key} not found`);
    return row;
  }

  private dir(id: number): string {
    return path.join(this.root, String(id));
  }

  private fsDir(id: number): string {
    return path.join(this.root, String(id), 'fs');
  }

  private row(key: string): SnapshotRow | undefined {
    return this.stmt('SELECT id, key, kind, parent, size FROM snapshots WHERE key = ?').get(key) as SnapshotRow | undefined;
  }

  private layer(chainId: string): SnapshotRow | undefined {
    const row = this.row(chainId);
    return row?.kind === 'layer' ? row : undefined;
  }
}
