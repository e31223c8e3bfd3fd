import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { runCommand } from '@berth/kit/command';
import { OVERLAY_OPAQUE, type CommandRunner } from './node-tools.js';
import { isWhiteout, lstatOrUndefined } from './snapshot-tree.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * Mount points a runtime creates in a container's root when the image lacks them: bind targets
 * for the files it generates, and the pseudo filesystems. Docker keeps them in its init layer, so
 * they never reach a commit; here they are left out while they are still the empty stubs the
 * runtime made and no layer below has them.
 */
const MOUNT_STUBS = new Set(['etc/hosts', 'etc/hostname', 'etc/resolv.conf', '.dockerenv', 'proc', 'sys', 'dev']);

/** One tar entry of the diff: its header and, for a regular file, the file it is read from. */
export interface DiffEntry {
  header: Partial<tar.Header> & { name: string };
  source?: string;
}

export interface DiffOptions {
  /** The container's upper dir. */
  upper: string;
  /** Directories of the image's layers, topmost first. */
  lowers: readonly string[];
  run?: CommandRunner;
}

/**
 * The changes of an overlay upper dir as layer tar entries (containerd's overlay differ, reduced):
 * a whiteout (char device 0/0) becomes an empty `.wh.<name>` file, an opaque directory
 * (`trusted.overlay.opaque=y`) its entry followed by `.wh..wh..opq`; files hard-linked within
 * the upper dir become tar hard links. Directories copied up only to hold mount stubs (same
 * mode and owner as below, nothing else changed inside) are left out, so an untouched container
 * has an empty diff. Entries are in lexical order, parents first.
 */
export async function upperDirEntries(options: DiffOptions): Promise<DiffEntry[]> {
  const opaque = await opaqueDirs(options.upper, options.run ?? runCommand);
  const links = new Map<string, string>();
  const walk = async (parts: string[]): Promise<DiffEntry[]> => {
    const dir = path.join(options.upper, ...parts);
    const names = (await readdir(dir)).sort();
    const out: DiffEntry[] = [];
    for (const name of names) {
      const rel = [...parts, name];
      const abs = path.join(dir, name);
      const st = await lstat(abs);
      const relName = rel.join('/');
      if (isWhiteout(st)) {
        out.push({ header: { ...meta(st), name: [...parts, `${WHITEOUT_PREFIX}${name}`].join('/'), type: 'file', size: 0, mode: 0o644 } });
        continue;
      }
      if (st.isDirectory()) {
        const isOpaque = opaque.has(abs);
        const children = await walk(rel);
        const lower = await lowerStat(options.lowers, rel);
        if (children.length === 0 && !isOpaque) {
          if (lower?.isDirectory() && sameOwnerAndMode(lower, st)) continue; // a copy-up parent
          if (!lower && MOUNT_STUBS.has(relName)) continue;
        }
        out.push({ header: { ...meta(st), name: `${relName}/`, type: 'directory' } });
        if (isOpaque) out.push({ header: { ...meta(st), name: `${relName}/${OPAQUE_MARKER}`, type: 'file', size: 0, mode: 0o644 } });
        out.push(...children);
        continue;
      }
      if (st.isFile() && st.size === 0 && MOUNT_STUBS.has(relName) && !(await lowerStat(options.lowers, rel))) continue;
      const entry = await fileEntry(abs, relName, st, links);
      if (entry) out.push(entry);
    }
    return out;
  };
  return walk([]);
}

async function fileEntry(abs: string, name: string, st: Stats, links: Map<string, string>): Promise<DiffEntry | undefined> {
  const base = meta(st);
  if (st.isSymbolicLink()) return { header: { ...base, name, type: 'symlink', linkname: await readlink(abs) } };
  if (st.isFile()) {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? links.get(key) : undefined;
    if (first !== undefined) return { header: { ...base, name, type: 'link', linkname: first, size: 0 } };
    if (st.nlink > 1) links.set(key, name);
    return { header: { ...base, name, type: 'file', size: st.size }, source: abs };
  }
  if (st.isFIFO()) return { header: { ...base, name, type: 'fifo' } };
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const { major, minor } = devNumbers(st.rdev);
    return { header: { ...base, name, type: st.isBlockDevice() ? 'block-device' : 'character-device', devmajor: major, devminor: minor } };
  }
  return undefined; // sockets are not layer content
}

/** A tar stream of the entries, file bodies read as they are packed. */
export function packEntries(entries: readonly DiffEntry[], signal?: AbortSignal): Readable {
  const pack = tar.pack();
  const writing = (async () => {
    for (const e of entries) {
      signal?.throwIfAborted();
      if (e.source === undefined || e.header.size === 0) {
        // An empty regular file still needs its (empty) body to end the entry.
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error | null) => (err ? reject(err) : resolve());
          if (e.header.type === 'file') pack.entry(e.header, Buffer.alloc(0), done);
          else pack.entry(e.header, done);
        });
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry(e.header, (err) => (err ? reject(err) : resolve()));
        const body = createReadStream(e.source!);
        body.on('error', (err) => sink.destroy(err));
        body.pipe(sink as unknown as NodeJS.WritableStream);
      });
    }
  })();
  writing.then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return Readable.from(pack as AsyncIterable<Buffer>);
}

function meta(st: Stats): Pick<Partial<tar.Header>, 'mode' | 'uid' | 'gid' | 'mtime'> {
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
}

function sameOwnerAndMode(a: Stats, b: Stats): boolean {
  return a.uid === b.uid && a.gid === b.gid && (a.mode & 0o7777) === (b.mode & 0o7777);
}

/** What the layers below have at `rel` (the topmost that has anything; good enough to spot copy-ups). */
async function lowerStat(lowers: readonly string[], rel: string[]): Promise<Stats | undefined> {
  for (const lower of lowers) {
    const st = await lstatOrUndefined(path.join(lower, ...rel));
    if (st !== undefined) return isWhiteout(st) ? undefined : st;
  }
  return undefined;
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor). */
function devNumbers(rdev: number): { major: number; minor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  return { major: ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0), minor: (lo & 0xff) | ((lo >>> 12) & 0xfff00) };
}

/**
 * Directories under `root` with `trusted.overlay.opaque=y`, in one `getfattr -R` (one process for
 * the whole tree, not one per directory). getfattr escapes odd bytes in names as `\ooo`.
 */
export async function opaqueDirs(root: string, run: CommandRunner): Promise<Set<string>> {
  const pattern = `^${OVERLAY_OPAQUE.replace(/\./g, '\\.')}$`;
  const { stdout } = await run('getfattr', ['-R', '-h', '--absolute-names', '-e', 'text', '-m', pattern, '-d', root], { timeoutMs: 120_000, okCodes: [0, 1] });
  const out = new Set<string>();
  let file: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) file = unescapeOctal(line.slice('# file: '.length));
    else if (file !== undefined && line === `${OVERLAY_OPAQUE}="y"`) out.add(path.resolve(file));
  }
  return out;
}

function unescapeOctal(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = /^\\([0-7]{3})/.exec(s.slice(i));
    if (m) {
      bytes.push(parseInt(m[1]!, 8));
      i += 3;
    } else if (s.startsWith('\\\\', i)) {
      bytes.push(0x5c);
      i += 1;
    } else {
      bytes.push(...Buffer.from(s[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
