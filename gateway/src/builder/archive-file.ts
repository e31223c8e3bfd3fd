import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { BerthError, DEFAULT_PATH } from '@berth/kit';

/** How a local file that ADD extracts is compressed (moby's DetectCompression). */
export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

const MAGIC: ReadonlyArray<readonly [Compression, readonly number[]]> = [
  ['gzip', [0x1f, 0x8b, 0x08]],
  ['bzip2', [0x42, 0x5a, 0x68]], // "BZh"
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/**
 * Node has gzip only: the others go through the host's own decompressor, reading the file
 * named in argv (never a shell) and writing to stdout.
 */
const DECOMPRESSORS: Record<'bzip2' | 'xz' | 'zstd', { binary: string; args: string[]; pkg: string }> = {
  bzip2: { binary: 'bzip2', args: ['-d', '-c'], pkg: 'bzip2' },
  xz: { binary: 'xz', args: ['-d', '-c'], pkg: 'xz-utils' },
  zstd: { binary: 'zstd', args: ['-d', '-c', '-q'], pkg: 'zstd' },
};

const BLOCK = 512;

/**
 * Whether ADD extracts `file`, and how it is compressed; undefined: copied as it is. Docker's
 * rule (moby's isArchivePath): the file, decompressed if its magic says so, starts with a tar
 * header that reads — a valid header checksum, which old v7 tars have too. Only the first block
 * is decompressed.
 */
export async function archiveCompression(file: string): Promise<Compression | undefined> {
  const compression = compressionOf(await readHead(file, 8));
  const head = compression === 'none' ? await readHead(file, BLOCK) : await firstBytes(decompressed(file, compression), BLOCK).catch(() => undefined);
  return head !== undefined && isTarHeader(head) ? compression : undefined;
}

export function compressionOf(head: Uint8Array): Compression {
  for (const [kind, magic] of MAGIC) if (magic.every((b, i) => head[i] === b)) return kind;
  return 'none';
}

/** The bytes of `file` decompressed, streamed; a corrupt stream ends in an error naming the decompressor. */
export function decompressed(file: string, compression: Compression): AsyncIterable<Buffer> {
  if (compression === 'none') return createReadStream(file) as AsyncIterable<Buffer>;
  if (compression === 'gzip') {
    const source = createReadStream(file);
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    source.on('error', (err) => gunzip.destroy(err));
    return source.pipe(gunzip) as AsyncIterable<Buffer>;
  }
  return viaBinary(file, compression);
}

async function* viaBinary(file: string, compression: 'bzip2' | 'xz' | 'zstd'): AsyncGenerator<Buffer> {
  const d = DECOMPRESSORS[compression];
  const child = spawn(d.binary, [...d.args, '--', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: DEFAULT_PATH } });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  exited.catch(() => undefined); // awaited below once the output is read; a consumer that stops early kills it instead
  let complete = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    complete = true;
  } finally {
    if (!complete) child.kill('SIGKILL');
  }
  const code = await exited.catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new BerthError('unavailable', `ADD of a ${compression} archive needs the host's ${d.binary} (Debian package ${d.pkg})`);
    throw new BerthError('internal', `${d.binary}: ${err.message}`, { cause: err });
  });
  if (code !== 0) throw new BerthError('invalid_argument', `${d.binary} -d: ${stderr.trim() || `exit status ${code}`}`);
}

async function readHead(file: string, size: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    const { bytesRead } = await fh.read(buf, 0, size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The first `size` bytes of a stream (fewer if it is shorter); the rest is not read. */
async function firstBytes(source: AsyncIterable<Buffer>, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const chunk of source) {
    chunks.push(chunk);
    have += chunk.length;
    if (have >= size) break; // leaving the loop ends the stream (and kills a decompressor)
  }
  return Buffer.concat(chunks).subarray(0, size);
}

/**
 * A tar header block as Go's archive/tar accepts one: its checksum field (octal) equals the sum
 * of the block's bytes with that field read as spaces, unsigned or signed. An all-zero block (an
 * empty archive) has none.
 */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < BLOCK) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').replace(/^[ ]+/, '');
  if (!/^[0-7]+$/.test(field)) return false;
  const stored = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}
