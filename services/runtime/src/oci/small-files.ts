import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

/**
 * Reads, writes and removals of the runtime's own small files — bundle and state files, exit
 * and pid files, /proc entries, cgroup directories — are synchronous on the container start and
 * exit paths. Each is a few microseconds of page-cache work on a local or in-memory filesystem,
 * while the fs/promises form of the same call costs ~50–100 µs of CPU in thread-pool hand-offs
 * (a readFile is four of them: open, fstat, read, close), and a `docker run` makes about a
 * hundred: on a 2-CPU host where a start is CPU-bound, that is milliseconds of every run.
 * Anything that can be large or slow (logs, layers, archives, user data) stays asynchronous.
 */

/** The file's text, or undefined when it cannot be read (gone, say). */
export function readSmall(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file's size, 0 when it cannot be stat'ed (not there yet, say): a stat is metadata only. */
export function sizeOf(file: string): number {
  try {
    return statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Writes a bundle file in place. Bundle files (config.json, the /etc files) are all written again
 * at every start, before the runtime reads them and before anything is bind-mounted from them, so
 * a half-written file is never read: no temporary file and rename (creating a file costs the most
 * here; a restart then only truncates), and a container sharing another's /etc files (`--network
 * container:x`) keeps seeing x's file when x restarts (a rename would leave it the old inode).
 */
export function writeSmall(file: string, text: string, mode: number): void {
  writeFileSync(file, text, { mode });
}

/**
 * The fields of /proc/<pid>/stat after the command name (state first, so field N of proc(5) is
 * [N - 3]); undefined when there is no such process.
 */
export function procStat(pid: number): string[] | undefined {
  const text = readSmall(`/proc/${pid}/stat`);
  return text?.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * rm -rf of one of the runtime's own directories (a bundle, a run dir, a state dir). A bundle
 * holds the container's log too, which rotation bounds (3 × 10 MiB by default): unlinking that
 * is about a millisecond.
 */
export function removeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
