#!/usr/bin/env node
import type { Output } from './command.js';
import { runCli } from './cli.js';

// The berth CLI process: the only place that touches process.env, argv, stdio and signals.

// A reader that goes away (`berth ps | head -1`) ends the output, not with a stack trace: the
// process leaves quietly, as a command whose output pipe closed does (status 141 = SIGPIPE, as sh
// reports it).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(141);
  });
}
const output = (stream: NodeJS.WriteStream): Output => ({
  write: (text) => void stream.write(text),
  isTTY: stream.isTTY === true,
  get columns() {
    return stream.columns ?? 80;
  },
});

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: output(process.stdout),
  stderr: output(process.stderr),
  stdin: process.stdin,
  ...(process.stdin.isTTY && process.stdout.isTTY && {
    terminal: {
      size: () => ({ rows: process.stdout.rows ?? 24, columns: process.stdout.columns ?? 80 }),
      onResize(handler: () => void) {
        process.stdout.on('resize', handler);
        return () => void process.stdout.off('resize', handler);
      },
      setRaw: (raw: boolean) => void process.stdin.setRawMode(raw),
    },
  }),
  onSignal(handler) {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
    for (const s of signals) process.on(s, handler);
    return () => signals.forEach((s) => process.off(s, handler));
  },
});
