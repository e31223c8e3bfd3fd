import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '@berth/kit';

/** Decodes the octal escapes (`\040`) of /proc/self/mountinfo. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points of nsfs mounts (bind-mounted namespaces) in this process's mount namespace. */
async function nsfsMounts(): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right || !right.startsWith('nsfs ')) continue;
    const mountPoint = left.split(' ')[4];
    if (mountPoint) out.add(unescape(mountPoint));
  }
  return out;
}

/**
 * Network namespaces as bind-mounted files under one directory (`<runRoot>/netns/<container id>`),
 * what `ip netns add` does under /run/netns: `unshare --net=<file> true` makes a namespace and
 * bind-mounts it onto the file, so it lives on with no process in it until unmounted.
 */
export class NetnsFiles {
  constructor(
    readonly dir: string,
    private readonly binaries = { unshare: 'unshare', umount: 'umount' },
  ) {}

  /** Makes the namespace and runs `init` (argv, with `input` on its stdin) inside it once, e.g. `ip -batch -`. */
  async create(file: string, init: string[] = ['true'], input?: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    if ((await nsfsMounts()).has(file)) await this.remove(file);
    await writeFile(file, '', { mode: 0o444 });
    try {
      await runCommand(this.binaries.unshare, [`--net=${file}`, ...init], { timeoutMs: 20_000, ...(input !== undefined && { input }) });
    } catch (err) {
      // unshare bind-mounts the namespace before running init: a failed init leaves it mounted.
      await this.remove(file).catch(() => rm(file, { force: true }));
      throw err;
    }
  }

  /** Unmounts (which frees the namespace once no process holds it) and unlinks. Idempotent. */
  async remove(file: string): Promise<void> {
    // A file can carry stacked mounts (a crash between two creates); unmount until none is left.
    for (let i = 0; i < 8 && (await nsfsMounts()).has(file); i++) {
      await runCommand(this.binaries.umount, [file], { timeoutMs: 20_000 });
    }
    await rm(file, { force: true });
  }

  async alive(file: string): Promise<boolean> {
    return (await nsfsMounts()).has(file);
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).map((f) => path.join(this.dir, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}
