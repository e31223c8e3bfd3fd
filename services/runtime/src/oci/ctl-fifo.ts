import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { BerthError } from '@berth/kit';

/** conmon's control messages on `<bundle>/ctl`: always three numbers per line. */
export const CtlMessage = { Resize: 1, ReopenLog: 2 } as const;

/**
 * Writes one line to conmon's control fifo. Opened non-blocking: conmon holds the read end while it
 * runs, so the open succeeds at once, and fails (ENXIO) instead of hanging when conmon is gone.
 */
export async function writeCtl(fifo: string, type: number, a = 0, b = 0): Promise<void> {
  let handle;
  try {
    handle = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO' || code === 'ENOENT') throw new BerthError('failed_precondition', 'the process is not running', { cause: err });
    throw err;
  }
  try {
    await handle.write(`${type} ${Math.trunc(a)} ${Math.trunc(b)}\n`);
  } finally {
    await handle.close();
  }
}
