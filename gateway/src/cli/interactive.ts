import type { Duplex } from 'node:stream';
import type { CliContext } from './command.js';
import { copyContainerOutput } from './render/output-demux.js';

export interface SessionOptions {
  socket: Duplex;
  head: Buffer;
  tty: boolean;
  /** Forward the CLI's stdin (`-i`). */
  stdin: boolean;
  /** Sends the terminal's size to the daemon (container or exec resize). */
  resize?: (size: { rows: number; columns: number }) => Promise<unknown>;
}

/**
 * Drives a hijacked attach or exec: the user's stdin goes in (raw when the container has a TTY
 * and the CLI has a terminal), the output comes out (raw or demultiplexed), the window size
 * follows the terminal. Resolves when the daemon ends the output: the process exited, or the
 * user typed the detach keys (the daemon watches for them).
 */
export async function runSession(o: SessionOptions, ctx: CliContext): Promise<void> {
  const { socket } = o;
  const terminal = o.tty ? ctx.terminal : undefined;
  const cleanups: Array<() => void> = [];
  if (terminal && o.resize) {
    const send = () => void o.resize!(terminal.size()).catch(() => undefined); // the process may be gone already
    // The first resize can come before the process is up: retried a few times, as docker does.
    void (async () => {
      for (let attempt = 1; attempt <= 10; attempt++) {
        if (await o.resize!(terminal.size()).then(() => true, () => false)) return;
        await new Promise((r) => setTimeout(r, 10 * attempt));
      }
    })();
    cleanups.push(terminal.onResize(send));
  }
  const input = o.stdin ? ctx.stdin : undefined;
  if (input) {
    if (terminal) {
      terminal.setRaw(true);
      cleanups.push(() => terminal.setRaw(false));
    }
    const onData = (d: Buffer) => void socket.write(d);
    const onEnd = () => socket.end(); // half-close: the container's stdin ends, its output goes on
    input.on('data', onData);
    input.on('end', onEnd);
    cleanups.push(() => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause(); // lets the process exit
    });
  }
  socket.on('error', () => undefined); // a reset after the output ended changes nothing
  try {
    await copyContainerOutput(prepend(o.head, socket), o.tty, ctx.stdout, ctx.stderr);
  } finally {
    for (const c of cleanups.reverse()) c();
    socket.destroy();
  }
}

async function* prepend(head: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  yield* rest;
}
