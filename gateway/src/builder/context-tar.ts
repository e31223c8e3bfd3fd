import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar-stream';
import { DockerIgnore } from './dockerignore.js';

/** Files the context always carries, whatever `.dockerignore` says (as the docker CLI does). */
const ALWAYS = new Set(['Dockerfile', '.dockerignore']);

/**
 * The build context as the client sends it: a tar of `dir` without what `.dockerignore` names
 * (the Dockerfile and .dockerignore themselves are always sent), symlinks as symlinks, owners
 * reset to root, entries sorted so the same tree gives the same tar. `extra` adds files under
 * other names (a Dockerfile from outside the context).
 */
export function contextTar(dir: string, options: { extra?: Array<{ name: string; data: Buffer }>; keep?: string[] } = {}): NodeJS.ReadableStream {
  const pack = tar.pack();
  (async () => {
    const ignore = await readIgnore(dir);
    const keep = new Set([...ALWAYS, ...(options.keep ?? [])]);
    await walk(pack, dir, '', ignore, keep);
    for (const e of options.extra ?? []) await add(pack, { name: e.name, mode: 0o644, uid: 0, gid: 0, size: e.data.length }, e.data);
  })().then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  return pack as unknown as NodeJS.ReadableStream;
}

async function readIgnore(dir: string): Promise<DockerIgnore> {
  try {
    return DockerIgnore.parse(await readFile(path.join(dir, '.dockerignore'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new DockerIgnore([]);
    throw err;
  }
}

async function walk(pack: tar.Pack, root: string, rel: string, ignore: DockerIgnore, keep: Set<string>): Promise<void> {
  const names = (await readdir(path.join(root, rel))).sort();
  for (const n of names) {
    const r = rel === '' ? n : `${rel}/${n}`;
    const host = path.join(root, r);
    const st = await lstat(host);
    const ignored = ignore.ignores(r) && !keep.has(r);
    if (st.isDirectory()) {
      if (ignored && !ignore.mayIncludeBelow(r)) continue;
      if (!ignored) await add(pack, { name: `${r}/`, type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 });
      await walk(pack, root, r, ignore, keep);
      continue;
    }
    if (ignored) continue;
    const header = { name: r, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
    if (st.isSymbolicLink()) await add(pack, { ...header, type: 'symlink', linkname: await readlink(host) });
    else if (st.isFile()) await add(pack, { ...header, type: 'file', size: st.size }, createReadStream(host));
  }
}

function add(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, body?: Buffer | NodeJS.ReadableStream): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (Buffer.isBuffer(body)) {
      pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
      return;
    }
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    if (body) {
      body.on('error', reject);
      body.pipe(sink as unknown as NodeJS.WritableStream);
    }
  });
}
