import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { BerthError } from '@berth/kit';

/** A process the stack started, tracked by a pid file so `stop` works from another shell. */
export interface Managed {
  name: string;
  pid: number;
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined; // no pid file, or the process is gone
  }
}

/** Starts `node <script>` detached, output appended to logFile, pid written to pidFile. */
export function launchNode(script: string, options: { name: string; env: Record<string, string>; logFile: string; pidFile: string; detached: boolean }): Promise<Managed> {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  mkdirSync(path.dirname(options.pidFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(process.execPath, [script], {
      env: options.env,
      stdio: ['ignore', fd, fd],
      detached: options.detached,
    });
    return new Promise((resolve, reject) => {
      child.once('error', (err) => reject(new BerthError('unavailable', `${options.name}: ${err.message}`, { cause: err })));
      child.once('spawn', () => {
        if (options.detached) child.unref();
        writeFileSync(options.pidFile, `${child.pid}\n`);
        resolve({ name: options.name, pid: child.pid! });
      });
    });
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function terminate(pid: number, graceMs = 10_000): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let delay = 10;
  while (alive()) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}
