import { writeSync, writevSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { BerthError } from '@berth/kit/errors';

/**
 * Size at which buffered data is written out. Layer data arrives in 64 KiB–1 MiB pieces; one
 * writev per MiB instead of one write per piece cuts thread-pool round trips (and their CPU) by
 * an order of magnitude on a 200 MB pull (bench/pull.mjs).
 */
export const WRITE_BATCH = 1 << 20;

/**
 * writev that loops until every byte is written (a short write happens near ENOSPC): at the
 * file position, or from `position` on when given.
 */
export async function writeFully(fh: FileHandle, chunks: Uint8Array[], position?: number): Promise<void> {
  let rest = chunks.filter((c) => c.length > 0);
  let at = position;
  while (rest.length > 0) {
    const want = rest.reduce((n, c) => n + c.length, 0);
    const { bytesWritten } = rest.length === 1 ? await fh.write(rest[0]!, 0, rest[0]!.length, at ?? null) : await fh.writev(rest, at);
    if (bytesWritten === want) return;
    if (bytesWritten <= 0) throw new BerthError('resource_exhausted', 'write made no progress (disk full?)');
    if (at !== undefined) at += bytesWritten;
    rest = skip(rest, bytesWritten);
  }
}

/** writeFully, synchronously, on a file descriptor. */
export function writeFullySync(fd: number, chunks: Uint8Array[]): void {
  let rest = chunks.filter((c) => c.length > 0);
  while (rest.length > 0) {
    const want = rest.reduce((n, c) => n + c.length, 0);
    const bytesWritten = rest.length === 1 ? writeSync(fd, rest[0]!) : writevSync(fd, rest);
    if (bytesWritten === want) return;
    if (bytesWritten <= 0) throw new BerthError('resource_exhausted', 'write made no progress (disk full?)');
    rest = skip(rest, bytesWritten);
  }
}

function skip(chunks: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = n;
  for (const c of chunks) {
    if (left >= c.length) {
      left -= c.length;
      continue;
    }
    out.push(left > 0 ? c.subarray(left) : c);
    left = 0;
  }
  return out;
}

/**
 * Writes an entry body, gathered into WRITE_BATCH-sized writev calls, synchronously (the layer
 * applier's thread is an unpack worker's own: see layer-applier.ts).
 */
export async function writeBody(fd: number, body: AsyncIterable<unknown>): Promise<number> {
  let pending: Uint8Array[] = [];
  let size = 0;
  let total = 0;
  for await (const chunk of body) {
    const c = chunk as Uint8Array;
    pending.push(c);
    size += c.length;
    total += c.length;
    if (size >= WRITE_BATCH) {
      writeFullySync(fd, pending);
      pending = [];
      size = 0;
    }
  }
  writeFullySync(fd, pending);
  return total;
}

/** fsyncs a directory (after a rename into it). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
