import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument, notFound } from '@berth/kit';
import { archiveCompression, type Compression } from './archive-file.js';
import { contextParts, resolveInContext } from './build-context.js';

/** One item of a COPY/ADD layer, named by its destination (relative to `/`). */
export interface CopyEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'archive';
  mode: number;
  mtime: Date;
  size: number;
  linkname?: string;
  /** Files and archives: where the bytes are on the host (inside the extracted context). */
  hostPath?: string;
  /** An archive's compression. */
  compression?: Compression;
  /** A directory already in the image, carried as it is there: this owner, `mode` as is (no --chown/--chmod). */
  owner?: { uid: number; gid: number };
}

const WILDCARD = /[*?[]/;
const SMALL_FILE = 1 << 20;

/**
 * Docker's COPY/ADD source → destination mapping over the extracted context: sources are
 * context-relative (`..` out of it is an error, wildcards as Go's filepath.Match per component),
 * resolved with symlinks kept inside the context; a directory source copies its contents; the
 * destination is a directory when it ends with `/`, when there are several sources, or when
 * the source is a directory. Symlinks inside a copied directory are copied as symlinks.
 * `extractArchives` (ADD): a local tar (plain, gzip, bzip2, xz or zstd) is extracted into the
 * destination; any other file is copied as it is.
 */
export async function planContextCopy(root: string, sources: readonly string[], dest: string, extractArchives: boolean): Promise<CopyEntry[]> {
  const matched: Array<{ parts: string[]; shown: string }> = [];
  for (const source of sources) {
    const parts = contextParts(source);
    if (!parts.some((p) => WILDCARD.test(p))) {
      matched.push({ parts, shown: source });
      continue;
    }
    const found = await glob(root, parts);
    if (found.length === 0) throw notFound(`COPY failed: no source files were specified (no match for ${source})`);
    for (const f of found) matched.push({ parts: f, shown: f.join('/') });
  }
  const destDir = dest.endsWith('/') || matched.length > 1;
  if (matched.length > 1 && !dest.endsWith('/')) {
    throw invalidArgument('When using COPY with more than one source file, the destination must be a directory and end with a /');
  }
  const destBase = dest.replace(/^\/+/, '').replace(/\/+$/, '');
  const entries: CopyEntry[] = [];
  for (const m of matched) {
    const host = await resolveInContext(root, m.parts);
    const st = await lstat(host).catch(() => undefined);
    if (!st) throw notFound(`COPY failed: file not found in build context or excluded by .dockerignore: stat ${m.shown}: file does not exist`);
    if (st.isDirectory()) {
      await walk(host, destBase, entries);
      continue;
    }
    if (!st.isFile()) continue; // sockets, fifos: Docker skips them too
    const baseName = m.parts[m.parts.length - 1] ?? path.basename(host);
    const compression = extractArchives ? await archiveCompression(host) : undefined;
    if (compression !== undefined) {
      entries.push({ name: destBase, type: 'archive', mode: 0o755, mtime: st.mtime, size: st.size, hostPath: host, compression });
      continue;
    }
    const name = destDir ? join(destBase, baseName) : destBase;
    if (name === '') throw invalidArgument(`cannot copy the file ${m.shown} over the root directory`);
    entries.push({ name, type: 'file', mode: st.mode & 0o7777, mtime: st.mtime, size: st.size, hostPath: host });
  }
  return entries;
}

async function walk(dir: string, destBase: string, out: CopyEntry[]): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const n of names) {
    const host = path.join(dir, n);
    const name = join(destBase, n);
    const st = await lstat(host);
    if (st.isDirectory()) {
      out.push({ name, type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime, size: 0 });
      await walk(host, name, out);
    } else if (st.isFile()) {
      out.push({ name, type: 'file', mode: st.mode & 0o7777, mtime: st.mtime, size: st.size, hostPath: host });
    } else if (st.isSymbolicLink()) {
      out.push({ name, type: 'symlink', mode: 0o777, mtime: st.mtime, size: 0, linkname: await readlink(host) });
    }
  }
}

const join = (a: string, b: string) => (a === '' ? b : `${a}/${b}`);

/** Paths under `root` matching the pattern parts (each part a filepath.Match pattern). */
async function glob(root: string, parts: readonly string[]): Promise<string[][]> {
  let current: string[][] = [[]];
  for (const part of parts) {
    const next: string[][] = [];
    for (const prefix of current) {
      if (!WILDCARD.test(part)) {
        next.push([...prefix, part]);
        continue;
      }
      const dir = await resolveInContext(root, prefix);
      const names = await readdir(dir).catch(() => [] as string[]);
      const re = componentRegex(part);
      for (const n of names.sort()) if (re.test(n)) next.push([...prefix, n]);
    }
    current = next;
  }
  const existing: string[][] = [];
  for (const p of current) if (await lstat(await resolveInContext(root, p)).catch(() => undefined)) existing.push(p);
  return existing;
}

function componentRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw invalidArgument(`syntax error in pattern: ${pattern}`);
      const cls = pattern.slice(i + 1, end);
      re += `[${cls.startsWith('^') || cls.startsWith('!') ? `^${cls.slice(1)}` : cls}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else re += escape(ch);
  }
  return new RegExp(`^${re}$`);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The content hash of a COPY/ADD: every destination name, type, mode, size, link target and the
 * bytes of every file, in order. mtimes are left out, as Docker's cache does.
 */
export async function hashEntries(entries: readonly CopyEntry[]): Promise<string> {
  const h = createHash('sha256');
  for (const e of entries) {
    h.update(`${e.name}\0${e.type}\0${e.mode.toString(8)}\0${e.size}\0${e.linkname ?? ''}\0`);
    // Small files in one read (a stream costs several round trips through the thread pool).
    if (e.hostPath && e.size <= SMALL_FILE) h.update(await readFile(e.hostPath));
    else if (e.hostPath) for await (const chunk of createReadStream(e.hostPath)) h.update(chunk as Buffer);
    h.update('\n');
  }
  return h.digest('hex');
}
