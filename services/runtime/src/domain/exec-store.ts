import { BerthError, newId } from '@berth/kit';
import type { ExecHandle } from './ports.js';

/** What `docker exec` asks for (Docker's ExecConfig). */
export interface ExecConfig {
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  tty: boolean;
  privileged: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  detachKeys: string;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  /** Set once it has run and exited (or failed to start). */
  exitCode?: number;
  pid: number;
  /** Started once: an exec runs at most once. */
  started: boolean;
  handle?: ExecHandle;
  /** Settles when the exit has been recorded. */
  finished?: Promise<number>;
}

/** Per container, finished execs beyond this many are forgotten (oldest first). */
const KEEP_FINISHED = 64;

/**
 * Exec instances, in memory as in Docker: they live as long as their container (removal forgets
 * them) and do not survive a restart of the service (a running one still runs to its end under
 * its conmon).
 */
export class ExecStore {
  private readonly execs = new Map<string, ExecRecord>();

  create(containerId: string, config: ExecConfig): ExecRecord {
    const rec: ExecRecord = { id: newId(), containerId, config, running: false, pid: 0, started: false };
    this.execs.set(rec.id, rec);
    const finished = this.forContainer(containerId).filter((e) => !e.running && e.exitCode !== undefined);
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.execs.delete(old.id);
    return rec;
  }

  /** `not_found` with Docker's message. */
  get(id: string): ExecRecord {
    const rec = this.execs.get(id);
    if (!rec) throw new BerthError('not_found', `No such exec instance: ${id}`);
    return rec;
  }

  forContainer(containerId: string): ExecRecord[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId);
  }

  forgetContainer(containerId: string): void {
    for (const e of this.forContainer(containerId)) this.execs.delete(e.id);
  }
}
