import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar-stream';
import { BerthError } from '@berth/kit';

type Entry = Partial<tar.Header> & Pick<tar.Header, 'name'>;

/** gRPC messages of a tar are gathered up to this size. */
const CHUNK = 256 * 1024;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * A tar of the tree at `hostPath` (itself included unless `name` is ""), entries named from
 * `name` (Docker's rebase: `docker cp c:/etc/x` gives "x/…"). Nothing is followed: symlinks are
 * entries, files are opened O_NOFOLLOW, directories are listed only after lstat said they are
 * directories — the caller keeps the tree still (a frozen or stopped container). Hard links
 * within the tree stay hard links; sockets are left out (as Docker's tar writer does).
 */
export async function* packTree(hostPath: string, name: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const pack = tar.pack();
  const writing = new TreePacker(pack, signal).add(hostPath, name, true).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  try {
    let parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of pack as AsyncIterable<Buffer>) {
      parts.push(chunk);
      size += chunk.length;
      if (size >= CHUNK) {
        yield Buffer.concat(parts, size);
        parts = [];
        size = 0;
      }
    }
    if (size > 0) yield Buffer.concat(parts, size);
    await writing;
  } finally {
    if (!pack.destroyed) pack.destroy();
    // Not awaited: an abandoned tar ends the writer at its next write; a failure already failed the loop.
    void writing.catch(() => undefined);
  }
}

class TreePacker {
  /** dev:ino of files with several links → the name of the first one archived. */
  private readonly links = new Map<string, string>();

  constructor(private readonly pack: tar.Pack, private readonly signal?: AbortSignal) {}

  async add(host: string, name: string, top = false): Promise<void> {
    this.signal?.throwIfAborted();
    const st = await lstat(host);
    if (top && name === '') {
      if (!st.isDirectory()) throw new BerthError('internal', 'an unnamed archive root must be a directory');
      return this.children(host, '');
    }
    const base = header(name, st);
    if (st.isDirectory()) {
      await this.entry({ ...base, name: `${name}/`, type: 'directory' });
      return this.children(host, name);
    }
    if (st.isSymbolicLink()) return this.entry({ ...base, type: 'symlink', linkname: await readlink(host) });
    if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? this.links.get(key) : undefined;
      if (first !== undefined) return this.entry({ ...base, type: 'link', linkname: first });
      if (st.nlink > 1) this.links.set(key, name);
      return this.file(host, { ...base, type: 'file', size: st.size });
    }
    if (st.isFIFO()) return this.entry({ ...base, type: 'fifo' });
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = st.rdev;
      return this.entry({ ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(rdev), devminor: minor(rdev) });
    }
    // sockets: nothing to archive
  }

  private async children(host: string, name: string): Promise<void> {
    for (const child of (await readdir(host)).sort()) {
      await this.add(path.join(host, child), name === '' ? child : `${name}/${child}`);
    }
  }

  /** Resolves on the entry's drain, or when the entry or the whole tar is torn down. */
  private drained(sink: NodeJS.EventEmitter): Promise<void> {
    return new Promise((resolve) => {
      const pack = this.pack as unknown as NodeJS.EventEmitter;
      const done = () => {
        sink.off('drain', done);
        sink.off('close', done);
        pack.off('close', done);
        resolve();
      };
      sink.on('drain', done);
      sink.on('close', done);
      pack.on('close', done);
    });
  }

  private entry(h: Entry): Promise<void> {
    return new Promise((resolve, reject) => this.pack.entry(h, (err) => (err ? reject(err) : resolve())));
  }

  /** A regular file, exactly `h.size` bytes (a file that changed size meanwhile is cut or padded with zeros). */
  private async file(host: string, h: Entry): Promise<void> {
    const fh = await open(host, READ_FLAGS);
    let done!: (err?: Error | null) => void;
    const finished = new Promise<void>((resolve, reject) => (done = (err) => (err ? reject(err) : resolve())));
    const sink = this.pack.entry(h, done);
    try {
      let left = h.size ?? 0;
      const buf = Buffer.alloc(Math.min(CHUNK, Math.max(left, 1)));
      while (left > 0) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), null);
        const chunk = bytesRead > 0 ? Buffer.from(buf.subarray(0, bytesRead)) : Buffer.alloc(Math.min(buf.length, left));
        left -= chunk.length;
        if (this.pack.destroyed) throw new BerthError('cancelled', 'archive abandoned');
        if (!sink.write(chunk)) await this.drained(sink as unknown as NodeJS.EventEmitter);
      }
    } finally {
      await fh.close();
    }
    (sink as unknown as { end(): void }).end(); // streamx types demand an argument its end() does not need
    await finished;
  }
}

function header(name: string, st: Stats): Entry {
  return { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
}

/** Linux's encoding of dev_t (glibc's gnu_dev_major/minor). */
function major(dev: number): number {
  return Number(((BigInt(dev) >> 8n) & 0xfffn) | ((BigInt(dev) >> 32n) & ~0xfffn));
}

function minor(dev: number): number {
  return Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & ~0xffn));
}
