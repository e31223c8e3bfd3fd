import { close, constants, fstat, open, write } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { BerthError } from '@berth/kit';

const openFd = promisify(open);
const fstatFd = promisify(fstat);
const closeFd = promisify(close);
const writeAt = promisify(write);

/** An ingest file name as the image service makes them (`layer-<hex>`, `blob-<hex>`). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/**
 * Opens StreamBlob's `into_file` for writing: an existing, empty regular file directly in
 * `ingestDir`, the image service's ingest directory, reached without following a symlink. Any
 * other path is refused (PERMISSION_DENIED), so a request cannot point the service's writes
 * anywhere else on the host. Returns the file descriptor.
 */
export async function openIngestFile(file: string, ingestDir: string | undefined): Promise<number> {
  const name = path.basename(file);
  if (!ingestDir || !path.isAbsolute(file) || path.dirname(file) !== ingestDir || !NAME.test(name) || path.join(ingestDir, name) !== file) {
    throw new BerthError('permission_denied', `StreamBlob: into_file ${JSON.stringify(file)} is not a file in the ingest directory${ingestDir ? ` ${ingestDir}` : ' (none is configured)'}`);
  }
  let fd: number;
  try {
    fd = await openFd(file, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new BerthError('permission_denied', `StreamBlob: into_file ${file} is a symbolic link`);
    if (code === 'ENOENT') throw new BerthError('failed_precondition', `StreamBlob: into_file ${file} does not exist (the caller creates it)`);
    throw new BerthError('internal', `StreamBlob: open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const st = await fstatFd(fd);
    if (!st.isFile()) throw new BerthError('permission_denied', `StreamBlob: into_file ${file} is not a regular file`);
    if (st.size !== 0) throw new BerthError('failed_precondition', `StreamBlob: into_file ${file} already holds ${st.size} bytes (a resume streams over the socket)`);
    return fd;
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
}

/**
 * Writes `chunks` into the file, each at its own offset, one write finished before the next
 * begins (so once this returns or throws, no write of this blob is still under way: a caller's
 * next attempt never races one). After each write the socket gets the count of bytes in the file
 * as an 8-byte little-endian number, which is all the caller reads: its unpacker follows the file
 * up to that count. Returns the bytes written; rethrows the source's failure after reporting what
 * is in the file, which the caller keeps for a resume.
 */
export async function writeChunksToFile(
  fd: number,
  socket: net.Socket,
  chunks: AsyncIterable<Buffer>,
  signal: AbortSignal,
  recycle?: (chunk: Buffer) => void,
): Promise<number> {
  let written = 0;
  let closed = false;
  socket.once('close', () => (closed = true));
  try {
    for await (const chunk of chunks) {
      signal.throwIfAborted();
      if (closed) throw new BerthError('cancelled', 'StreamBlob: the caller closed the blob socket');
      for (let at = 0; at < chunk.length; ) {
        const { bytesWritten } = await writeAt(fd, chunk, at, chunk.length - at, written).catch((err: NodeJS.ErrnoException) => {
          throw new BerthError(err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 'resource_exhausted' : 'internal', `StreamBlob: writing the ingest file: ${err.message}`, { cause: err });
        });
        if (bytesWritten <= 0) throw new BerthError('resource_exhausted', 'StreamBlob: a write to the ingest file made no progress (disk full?)');
        at += bytesWritten;
        written += bytesWritten;
      }
      recycle?.(chunk);
      const count = Buffer.allocUnsafe(8);
      count.writeBigUInt64LE(BigInt(written));
      socket.write(count);
    }
    await new Promise<void>((resolve) => socket.end(resolve));
    return written;
  } catch (err) {
    socket.end();
    throw err;
  }
}
