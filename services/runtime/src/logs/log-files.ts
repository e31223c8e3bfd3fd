import { rename, rm, stat } from 'node:fs/promises';

/**
 * A container's log and its rotated predecessors: `container.log` is written by conmon, and
 * rotation renames it to `container.log.1` (shifting older ones up to `.<maxFiles - 1>`) before
 * conmon reopens a fresh one. Docker's json-file max-size/max-file, for conmon's k8s-file.
 */
export function rotatedName(logPath: string, n: number): string {
  return n === 0 ? logPath : `${logPath}.${n}`;
}

/** The files to read in order, oldest first, the live one last (only those that exist). */
export async function logFiles(logPath: string, maxFiles: number): Promise<string[]> {
  const names = Array.from({ length: Math.max(1, maxFiles) }, (_, i) => rotatedName(logPath, i)).reverse();
  const present = await Promise.all(names.map((f) => stat(f).then(() => true, () => false)));
  return names.filter((_, i) => present[i] || i === names.length - 1);
}

/** Shifts the rotated files (dropping the oldest) and renames the live log to `.1`. */
export async function rotateLog(logPath: string, maxFiles: number): Promise<void> {
  if (maxFiles <= 1) {
    await rm(logPath, { force: true }); // one file only: start it over
    return;
  }
  await rm(rotatedName(logPath, maxFiles - 1), { force: true });
  for (let n = maxFiles - 2; n >= 1; n--) {
    await rename(rotatedName(logPath, n), rotatedName(logPath, n + 1)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  await rename(logPath, rotatedName(logPath, 1));
}
