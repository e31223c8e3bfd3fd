import type { Logger } from '@berth/kit';
import type { StdioSession } from './ports.js';

/** A client's frame on an attach or exec stream. */
export interface StdioInput {
  data?: Buffer;
  resize?: { height: number; width: number };
  closeStdin?: boolean;
}

/**
 * Feeds a client's frames to a process in the background: stdin data, TTY resizes, end of stdin.
 * The end of the client's stream is the end of its input, as a half-closed hijacked connection is
 * in Docker. Without `stdin`, data and the end of input are ignored (the process's stdin is not
 * this client's to close).
 */
export function pumpInput(
  input: AsyncIterable<StdioInput>,
  io: StdioSession,
  resize: (height: number, width: number) => Promise<void>,
  logger: Logger,
  stdin = true,
): void {
  void (async () => {
    try {
      for await (const msg of input) {
        if (msg.data?.length && stdin) io.write(msg.data);
        else if (msg.resize) await resize(msg.resize.height, msg.resize.width).catch((err: unknown) => logger.debug({ err }, 'resize failed'));
        else if (msg.closeStdin && stdin) io.closeStdin();
      }
      if (stdin) io.closeStdin();
    } catch (err) {
      logger.debug({ err }, 'stdio input ended with an error'); // the client went away: its output side ends too
    }
  })();
}
