import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real terminal for interactive tests: a detached tmux session on its own server socket,
 * running one command (argv, no shell) in a pane that stays after the command exits, so its exit
 * status can be read. Keys go in with send-keys, the screen comes out with capture-pane.
 */
export class Terminal {
  private constructor(
    private readonly server: string,
    private readonly session: string,
    private readonly statusFile: string,
  ) {}

  static async open(argv: string[], env: Record<string, string>, size = { cols: 120, rows: 40 }): Promise<Terminal> {
    const server = `berth-test-${randomBytes(4).toString('hex')}`;
    const session = 'main';
    const statusFile = path.join(os.tmpdir(), `${server}.status`);
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // The command runs under a small node wrapper that records its exit status (tmux's own
    // pane_dead_status is not always filled in), then the pane stays until the test closes it.
    const wrapper = [
      process.execPath, '-e',
      'const r = require("child_process").spawnSync(process.argv[2], process.argv.slice(3), { stdio: "inherit" });' +
        'require("fs").writeFileSync(process.argv[1], r.status === null ? `signal ${r.signal}` : String(r.status));' +
        'setInterval(() => {}, 1 << 30)', // (an argument ending in ";" would end the tmux command)
      statusFile, ...argv,
    ];
    await run('tmux', ['-L', server, '-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', String(size.cols), '-y', String(size.rows), ...envArgs, ...wrapper]);
    return new Terminal(server, session, statusFile);
  }

  private tmux(args: string[]) {
    return run('tmux', ['-L', this.server, ...args]);
  }

  /** Types text (literally) and, unless told otherwise, Enter. */
  async type(text: string, enter = true): Promise<void> {
    if (text) await this.tmux(['send-keys', '-t', this.session, '-l', text]);
    if (enter) await this.tmux(['send-keys', '-t', this.session, 'Enter']);
  }

  /** Sends key names (`C-p`, `C-q`, `C-c`). */
  async keys(...names: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', this.session, ...names]);
  }

  async screen(): Promise<string> {
    return (await this.tmux(['capture-pane', '-p', '-t', this.session, '-S', '-200'])).stdout;
  }

  async resize(cols: number, rows: number): Promise<void> {
    await this.tmux(['resize-window', '-t', this.session, '-x', String(cols), '-y', String(rows)]);
  }

  /** Waits until the screen matches; the screen then, or an error that shows it. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.screen();
      if (pattern.test(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the terminal never showed ${pattern}; it shows:\n${last}`);
  }

  /** The command's exit status once it has exited. */
  async exitStatus(timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(this.statusFile)) {
        const status = readFileSync(this.statusFile, 'utf8');
        if (status.startsWith('signal')) throw new Error(`the command was killed by ${status}; the terminal shows:\n${await this.screen()}`);
        if (status !== '') return Number(status);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the command did not exit; the terminal shows:\n${await this.screen()}`);
  }

  async close(): Promise<void> {
    await this.tmux(['kill-server']).catch(() => undefined); // already gone
    rmSync(this.statusFile, { force: true });
  }
}
