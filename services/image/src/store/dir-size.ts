import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Bytes of the regular files under `dir` (symlinks not followed; hard links counted once). */
export async function dirSize(dir: string): Promise<number> {
  const seen = new Set<number>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []); // removed meanwhile: nothing to count
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const st = await lstat(p).catch(() => undefined);
        if (st && (st.nlink === 1 || !seen.has(st.ino))) {
          seen.add(st.ino);
          total += st.size;
        }
      }
    }
  };
  await walk(dir);
  return total;
}
