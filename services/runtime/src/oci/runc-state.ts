import { readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { procStat } from './small-files.js';

interface RuncState {
  init_process_pid?: number;
  init_process_start?: number;
  cgroup_paths?: Record<string, string>;
  config?: { Hooks?: Record<string, unknown[] | null> | null };
}

/** The start time (clock ticks, field 22 of /proc/<pid>/stat) of a live process; undefined when gone. */
export async function processStartTime(pid: number): Promise<number | undefined> {
  const fields = procStat(pid);
  return !fields || fields[0] === 'Z' ? undefined : Number(fields[19]);
}

/**
 * What `runc delete` does for a container whose init has exited, done here to spare a runc
 * process at every exit: remove its (now empty) cgroups, then its state directory. Anything
 * unusual — an init still alive, a cgroup with processes left (rmdir says EBUSY: --pid host
 * children), hooks, an unreadable state — returns false, and the caller runs `runc delete
 * --force`, which kills what is left. Cgroups already removed here are fine for runc.
 */
export async function deleteStopped(stateDir: string): Promise<boolean> {
  let state: RuncState;
  try {
    state = JSON.parse(await readFile(path.join(stateDir, 'state.json'), 'utf8')) as RuncState;
  } catch {
    return false;
  }
  const hooks = state.config?.Hooks ?? {};
  if (Object.values(hooks).some((list) => Array.isArray(list) && list.length > 0)) return false;
  const pid = state.init_process_pid ?? 0;
  if (pid > 0 && (await processStartTime(pid)) === state.init_process_start) return false;
  // One per controller (a dozen on cgroup v1), independent of each other: removed at once.
  // Co-mounted controllers share a path; the second rmdir then finds it gone (ENOENT), which is fine.
  const removed = await Promise.all([...new Set(Object.values(state.cgroup_paths ?? {}))].map((dir) =>
    rmdir(dir).then(() => true, (err: NodeJS.ErrnoException) => err.code === 'ENOENT')));
  if (removed.includes(false)) return false;
  await rm(stateDir, { recursive: true, force: true });
  return true;
}
