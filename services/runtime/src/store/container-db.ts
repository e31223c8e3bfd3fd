import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { BerthError } from '@berth/kit';
import type { Container, ContainerSpec, HealthState, MountSpec, Status } from '../domain/container.js';
import type { ContainerStore, StateUpdate } from '../domain/container-store.js';
import { nameConflict } from '../domain/errors.js';
import type { VolumeMount } from '../domain/volume.js';
import type { ContainerNetworks } from '../domain/network-attachments.js';

/**
 * The runtime's SQLite database: `containers` (what a container is, written once), `names` (the
 * name reservation, unique), `state` (what changes: status, pids, exit). One row each per container.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS containers (
  id TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  image_id TEXT NOT NULL,
  runtime TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS names (
  name TEXT PRIMARY KEY,
  container_id TEXT NOT NULL UNIQUE REFERENCES containers(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS state (
  container_id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  pid INTEGER NOT NULL DEFAULT 0,
  monitor_pid INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  oom_killed INTEGER NOT NULL DEFAULT 0,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  restart_count INTEGER NOT NULL DEFAULT 0,
  netns_path TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS lifecycle (
  container_id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
  manually_stopped INTEGER NOT NULL DEFAULT 0,
  health TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS networks (
  container_id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
  doc TEXT NOT NULL
);
`;

/** The parts of a container stored as JSON: written at create, never changed. */
interface Doc {
  spec: ContainerSpec;
  path: string;
  args: string[];
  logPath: string;
  imageConfig: string; // base64
  rootfsMounts: MountSpec[];
  volumes?: VolumeMount[];
}

interface Row {
  id: string; created: string; image_id: string; runtime: string; doc: string; name: string; status: string;
  pid: number; monitor_pid: number; exit_code: number; error: string; oom_killed: number; started_at: string;
  finished_at: string; restart_count: number; netns_path: string; networks_doc: string | null;
  manually_stopped: number | null; health: string | null;
}

const SELECT = `SELECT c.id, c.created, c.image_id, c.runtime, c.doc, n.name, s.*, nw.doc AS networks_doc,
  l.manually_stopped, l.health FROM containers c
  JOIN names n ON n.container_id = c.id JOIN state s ON s.container_id = c.id LEFT JOIN networks nw ON nw.container_id = c.id
  LEFT JOIN lifecycle l ON l.container_id = c.id`;

export class ContainerDb implements ContainerStore {
  private readonly db: Database.Database;
  /**
   * Prepared statements by SQL text: compiling one (the 5-table join of get() most of all) costs
   * more than running it, and get() runs several times per request. Each text is always used in
   * the same mode (plucked or not), so a cached statement can be reused as it is.
   */
  private readonly statements = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL'); // durable across a crash of this process; WAL keeps it consistent
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** Inserts a new container; `already_exists` (with Docker's message) when its name is taken. */
  insert(c: Container): void {
    const doc: Doc = {
      spec: c.spec, path: c.path, args: c.args, logPath: c.logPath,
      imageConfig: c.imageConfig.toString('base64'), rootfsMounts: c.rootfsMounts,
      ...(c.volumes?.length ? { volumes: c.volumes } : {}),
    };
    const tx = this.db.transaction(() => {
      const holder = this.stmt('SELECT container_id FROM names WHERE name = ?').pluck().get(c.name) as string | undefined;
      if (holder) throw nameConflict(c.name, holder);
      this.stmt('INSERT INTO containers (id, created, image_id, runtime, doc) VALUES (?, ?, ?, ?, ?)')
        .run(c.id, c.created, c.imageId, c.runtime, JSON.stringify(doc));
      this.stmt('INSERT INTO names (name, container_id) VALUES (?, ?)').run(c.name, c.id);
      this.stmt(`INSERT INTO state (container_id, status, started_at, finished_at) VALUES (?, ?, ?, ?)`)
        .run(c.id, c.state.status, c.state.startedAt, c.state.finishedAt);
      this.stmt('INSERT INTO networks (container_id, doc) VALUES (?, ?)').run(c.id, JSON.stringify({ networks: c.networks, ports: c.ports }));
    });
    tx();
  }

  nameHolder(name: string): string | undefined {
    return this.stmt('SELECT container_id FROM names WHERE name = ?').pluck().get(name) as string | undefined;
  }

  get(id: string): Container | undefined {
    const row = this.stmt(`${SELECT} WHERE c.id = ?`).get(id) as Row | undefined;
    return row && fromRow(row);
  }

  /** Ids starting with prefix (at most `limit`). */
  idsWithPrefix(prefix: string, limit = 2): string[] {
    const escaped = prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`);
    return this.stmt(`SELECT id FROM containers WHERE id LIKE ? ESCAPE '\\' LIMIT ?`).pluck().all(`${escaped}%`, limit) as string[];
  }

  list(statuses?: Status[]): Container[] {
    const rows = statuses
      ? (this.stmt(`${SELECT} WHERE s.status IN (${statuses.map(() => '?').join(',')}) ORDER BY c.created DESC`).all(...statuses) as Row[])
      : (this.stmt(`${SELECT} ORDER BY c.created DESC`).all() as Row[]);
    return rows.map(fromRow);
  }

  updateState(id: string, u: StateUpdate): void {
    const cols: Array<[string, unknown]> = [];
    const put = (col: string, v: unknown) => v !== undefined && cols.push([col, typeof v === 'boolean' ? Number(v) : v]);
    put('status', u.status); put('pid', u.pid); put('monitor_pid', u.monitorPid); put('exit_code', u.exitCode);
    put('error', u.error); put('oom_killed', u.oomKilled); put('started_at', u.startedAt); put('finished_at', u.finishedAt);
    put('restart_count', u.restartCount); put('netns_path', u.netnsPath);
    this.db.transaction(() => {
      if (cols.length > 0) {
        const res = this.stmt(`UPDATE state SET ${cols.map(([c]) => `${c} = ?`).join(', ')} WHERE container_id = ?`)
          .run(...cols.map(([, v]) => v), id);
        if (res.changes === 0) throw new BerthError('not_found', `No such container: ${id}`);
      }
      if (u.manuallyStopped !== undefined || u.health !== undefined) this.updateLifecycle(id, u);
    })();
  }

  /** The lifecycle row (manual stop, health) is made on first use: containers from before it have none. */
  private updateLifecycle(id: string, u: StateUpdate): void {
    this.stmt('INSERT OR IGNORE INTO lifecycle (container_id) SELECT id FROM containers WHERE id = ?').run(id);
    if (u.manuallyStopped !== undefined) {
      this.stmt('UPDATE lifecycle SET manually_stopped = ? WHERE container_id = ?').run(Number(u.manuallyStopped), id);
    }
    if (u.health !== undefined) {
      this.stmt('UPDATE lifecycle SET health = ? WHERE container_id = ?').run(u.health ? JSON.stringify(u.health) : '', id);
    }
  }

  /** Replaces the stored spec (update of resources or restart policy). */
  updateSpec(id: string, spec: ContainerSpec): void {
    const row = this.stmt('SELECT doc FROM containers WHERE id = ?').pluck().get(id) as string | undefined;
    if (row === undefined) throw new BerthError('not_found', `No such container: ${id}`);
    const doc = { ...(JSON.parse(row) as Doc), spec };
    this.stmt('UPDATE containers SET doc = ? WHERE id = ?').run(JSON.stringify(doc), id);
  }

  /** Moves the name reservation; `already_exists` (Docker's message) when the new name is taken. */
  rename(id: string, name: string): void {
    this.db.transaction(() => {
      const holder = this.nameHolder(name);
      if (holder) throw nameConflict(name, holder);
      if (this.stmt('UPDATE names SET name = ? WHERE container_id = ?').run(name, id).changes === 0) {
        throw new BerthError('not_found', `No such container: ${id}`);
      }
    })();
  }

  /** Containers whose record still holds endpoints or published ports (a sandbox may be left to tear down). */
  withEndpoints(): string[] {
    return this.stmt(`SELECT container_id FROM networks WHERE doc LIKE '%"endpoint":%' OR doc NOT LIKE '%"ports":[]%'`).pluck().all() as string[];
  }

  /** Replaces the container's networks and published ports (connect, disconnect, start, stop). */
  updateNetworks(id: string, n: ContainerNetworks): void {
    const doc = JSON.stringify({ networks: n.networks, ports: n.ports });
    this.db.transaction(() => {
      if (this.stmt('UPDATE networks SET doc = ? WHERE container_id = ?').run(doc, id).changes > 0) return;
      if (!this.stmt('SELECT 1 FROM containers WHERE id = ?').get(id)) throw new BerthError('not_found', `No such container: ${id}`);
      this.stmt('INSERT INTO networks (container_id, doc) VALUES (?, ?)').run(id, doc);
    })();
  }

  delete(id: string): void {
    this.stmt('DELETE FROM containers WHERE id = ?').run(id);
  }

  close(): void {
    this.db.close();
  }
}

function fromRow(r: Row): Container {
  const doc = JSON.parse(r.doc) as Doc;
  return {
    id: r.id, name: r.name, imageId: r.image_id, created: r.created, runtime: r.runtime,
    spec: doc.spec, path: doc.path, args: doc.args, logPath: doc.logPath,
    imageConfig: Buffer.from(doc.imageConfig, 'base64'), rootfsMounts: doc.rootfsMounts,
    ...(doc.volumes?.length ? { volumes: doc.volumes } : {}),
    state: {
      status: r.status as Status, pid: r.pid, exitCode: r.exit_code, error: r.error, oomKilled: r.oom_killed !== 0,
      startedAt: r.started_at, finishedAt: r.finished_at,
    },
    restartCount: r.restart_count, netnsPath: r.netns_path, monitorPid: r.monitor_pid,
    manuallyStopped: r.manually_stopped === 1,
    ...(r.health ? { health: JSON.parse(r.health) as HealthState } : {}),
    ...networksFromDoc(r.networks_doc),
  };
}

function networksFromDoc(doc: string | null): ContainerNetworks {
  const n = doc ? (JSON.parse(doc) as Partial<ContainerNetworks>) : {};
  return { networks: n.networks ?? [], ports: n.ports ?? [] };
}
