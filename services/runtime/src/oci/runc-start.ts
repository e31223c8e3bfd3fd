import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/kit';

/** Gives up on a start whose init never opened its end of the fifo (it died before). */
const OPEN_TIMEOUT_MS = 10_000;

/**
 * What `runc start` does, done here to spare a runc process at every start: a created container's
 * init waits to open `<root>/<id>/exec.fifo` for writing; a reader makes it write "0" and exec the
 * user's process, which closes the fifo (close-on-exec). Read to the end, then remove the fifo
 * (runc's "created" → "running"). Returns false when there is no fifo (the caller runs `runc
 * start`); throws as runc would when the container is already running or its init is gone.
 */
export async function startViaFifo(root: string, id: string): Promise<boolean> {
  const fifo = path.join(root, id, 'exec.fifo');
  let handle;
  const timer = setTimeout(() => {
    // The open blocks a worker thread until a writer comes: be that writer, so it returns.
    void open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).then((h) => h.close(), () => undefined);
  }, OPEN_TIMEOUT_MS);
  try {
    handle = await open(fifo, constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  } finally {
    clearTimeout(timer);
  }
  try {
    const data = await handle.readFile();
    if (data.length === 0) throw new BerthError('failed_precondition', `cannot start container ${id}: its init is gone or it already runs`);
  } finally {
    await handle.close();
  }
  await rm(fifo, { force: true });
  return true;
}
