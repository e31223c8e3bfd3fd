import { open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CGROUP_ROOT } from './crun-state.js';

/**
 * Keeps the kernel's cgroup attach path "warm" while a container (or an exec) is being created.
 *
 * The runtime moves each container's init, and each exec'd process, into its cgroups by writing
 * its pid to `cgroup.procs`. Every such move takes `cgroup_threadgroup_rwsem` for writing, and that
 * lock's rcu_sync makes the first writer after a quiet spell wait for a full RCU grace period,
 * asleep: 4–15 ms on these VMs, measured on the first `cgroup.procs` write of `crun create`
 * (14.8 ms of its ~31 ms). A writer that comes while the previous one is less than about a grace
 * period gone does not wait (measured: 0.01–0.03 ms).
 *
 * So while a start is under way, this writes "0" (the writing process itself) to the service's
 * own `cgroup.procs` every few milliseconds: a move of the service to the cgroup it is already in,
 * which changes nothing but takes the lock. The first write pays the grace period on a thread-pool
 * thread, while the bundle is made and conmon and the runtime start up; by the time the runtime
 * moves the container, the lock is warm. Each later write costs a few microseconds. Writing stops
 * when the last holder releases (or after MAX_MS, whatever a caller forgot).
 *
 * On a host where the file cannot be written (no cgroup of its own found, read-only cgroupfs, a
 * v2 "no internal processes" refusal), it turns itself off after the first failure.
 */
const INTERVAL_MS = 3;
const MAX_MS = 5_000;

export class CgroupAttachWarmer {
  private holders = 0;
  private running = false;
  private disabled = false;

  /** `procsFile`: a cgroup.procs of the cgroup this process is in (see ownProcsFile). */
  constructor(private readonly procsFile: string | undefined) {}

  /** Keeps the lock warm until the returned function is called. */
  hold(): () => void {
    if (!this.procsFile || this.disabled) return () => undefined;
    this.holders++;
    if (!this.running) void this.loop(this.procsFile);
    let released = false;
    return () => {
      if (!released) (released = true), this.holders--;
    };
  }

  private async loop(file: string): Promise<void> {
    this.running = true;
    let fh: FileHandle | undefined;
    try {
      fh = await open(file, 'w');
      const deadline = Date.now() + MAX_MS;
      while (this.holders > 0 && Date.now() < deadline) {
        await fh.write('0');
        await delay(INTERVAL_MS);
      }
    } catch {
      this.disabled = true; // a host where this cannot be done: starts work as before
    } finally {
      this.running = false;
      await fh?.close().catch(() => undefined);
    }
  }
}

/**
 * The `cgroup.procs` of the cgroup this process is in: on a v1 or hybrid host in the first v1
 * hierarchy listed in /proc/self/cgroup whose directory is mounted under /sys/fs/cgroup, on a v2
 * host the unified one. undefined when none is found.
 */
export async function ownProcsFile(): Promise<string | undefined> {
  const text = await readFile('/proc/self/cgroup', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [, controllers, rel] = line.split(':');
    if (controllers === undefined || rel === undefined) continue;
    const hierarchy = controllers === '' ? '' : controllers.replace(/^name=/, '');
    const candidates = hierarchy === '' ? [CGROUP_ROOT, path.join(CGROUP_ROOT, 'unified')] : [path.join(CGROUP_ROOT, hierarchy)];
    for (const base of candidates) {
      const file = path.join(base, rel, 'cgroup.procs');
      const ok = await readFile(file, 'utf8').then((procs) => procs.split('\n').includes(String(process.pid)), () => false);
      if (ok) return file;
    }
  }
  return undefined;
}
