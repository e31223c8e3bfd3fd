import { closeSync, constants, openSync, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { readdir, rmdir, statfs } from 'node:fs/promises';
import { removeTree } from './small-files.js';
import path from 'node:path';
import { BerthError } from '@berth/kit';
import { processStartTime } from './runc-state.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';
export const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * What `crun start` does, done here to spare a crun process at every start: a created
 * container's init blocks reading `<root>/<id>/exec.fifo`; a writer unlinks the fifo and writes
 * one byte, and the init execs the user's process. Returns false when there is no fifo (the
 * caller runs `crun start`, which says why); throws when the init is gone (no reader).
 */
export async function crunStartViaFifo(root: string, id: string): Promise<boolean> {
  const fifo = path.join(root, id, 'exec.fifo');
  let fd: number;
  try {
    // Non-blocking: with no reader (the init died) open fails with ENXIO instead of waiting forever.
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENXIO') throw new BerthError('failed_precondition', `cannot start container ${id}: its init is gone`);
    throw err;
  }
  try {
    unlinkSync(fifo);
    writeSync(fd, Buffer.alloc(1));
  } finally {
    closeSync(fd);
  }
  return true;
}

interface CrunStatus {
  pid?: number;
  'process-start-time'?: number;
  'cgroup-path'?: string;
  'systemd-cgroup'?: boolean;
}

let hierarchies: Promise<string[]> | undefined;

/**
 * The directories a container's cgroup path lives under: the v2 root on a unified host, else
 * every hierarchy under /sys/fs/cgroup (v1 controllers, and the v2 mount of a hybrid host, which
 * runc uses and crun's v1 view does not: an rmdir there finds nothing). Co-mounted controllers
 * appear once (their symlinks are skipped).
 */
function cgroupHierarchies(): Promise<string[]> {
  hierarchies ??= (async () => {
    const root = await statfs(CGROUP_ROOT).catch(() => undefined);
    if (root?.type === CGROUP2_SUPER_MAGIC) return [CGROUP_ROOT];
    const entries = await readdir(CGROUP_ROOT, { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory()).map((e) => path.join(CGROUP_ROOT, e.name));
  })();
  return hierarchies;
}

/**
 * Removes what is left of a container's cgroup (`cgroupsPath`) after its runtime failed to create
 * it: crun 1.8 leaves the directories it made when a write fails (`--cpuset-cpus 7` on a 2-CPU
 * host: "writing file `cpuset.cpus`: Numerical result out of range"). Every hierarchy, the v2
 * mount of a hybrid host too (runc uses it); a directory that is gone is fine, one that still
 * holds processes (EBUSY) is left and named in the result.
 */
export async function removeCgroupDirs(cgroupsPath: string): Promise<string[]> {
  if (!cgroupsPath || cgroupsPath.split('/').includes('..')) return [];
  const left = await Promise.all((await cgroupHierarchies()).map(async (h) => {
    const dir = path.join(h, cgroupsPath);
    return rmdir(dir).then(() => undefined, (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : dir));
  }));
  return left.filter((d): d is string => d !== undefined);
}

/**
 * What `crun delete` does for a container whose init has exited, done here to spare a crun
 * process at every exit: remove its (now empty) cgroups, then its state directory. Anything
 * unusual — an init still alive, hooks, a systemd cgroup, a cgroup with processes left (EBUSY),
 * an unreadable status — returns false, and the caller runs `crun delete --force`.
 */
export async function crunDeleteStopped(stateDir: string): Promise<boolean> {
  let status: CrunStatus;
  let config: { hooks?: Record<string, unknown[] | null> | null };
  try {
    [status, config] = ['status', 'config.json'].map((f) => JSON.parse(readFileSync(path.join(stateDir, f), 'utf8'))) as [CrunStatus, typeof config];
  } catch {
    return false;
  }
  if (Object.values(config.hooks ?? {}).some((list) => Array.isArray(list) && list.length > 0)) return false;
  if (status['systemd-cgroup']) return false;
  const pid = status.pid ?? 0;
  if (pid > 0 && (await processStartTime(pid)) === status['process-start-time']) return false;
  const cgroup = status['cgroup-path'];
  if (cgroup) {
    if (cgroup.split('/').includes('..')) return false;
    for (const h of await cgroupHierarchies()) {
      try {
        rmdirSync(path.join(h, cgroup));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
      }
    }
  }
  removeTree(stateDir);
  return true;
}
