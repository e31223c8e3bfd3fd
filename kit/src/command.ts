import { spawn } from 'node:child_process';
import { BerthError } from './errors.js';

export interface RunOptions {
  /** Kill the process and fail after this long (default 60 s). */
  timeoutMs?: number;
  /** The complete environment; defaults to a minimal PATH-only one, never the caller's. */
  env?: Record<string, string>;
  input?: string | Buffer;
  cwd?: string;
  signal?: AbortSignal;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function trimmed(text: string, max = 2000): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/**
 * Runs a system binary with an argv array (never a shell), an explicit environment and a timeout.
 * A non-zero exit becomes a BerthError carrying the trimmed stderr.
 */
export function runCommand(binary: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { timeoutMs = 60_000, okCodes = [0] } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      env: options.env ?? { PATH: DEFAULT_PATH },
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const kind = e.name === 'AbortError' ? 'cancelled' : e.code === 'ENOENT' ? 'unavailable' : 'internal';
      reject(new BerthError(kind, `${binary}: ${e.code === 'ENOENT' ? 'not installed' : e.message}`, { cause: e }));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(new BerthError('deadline_exceeded', `${binary} ${args[0] ?? ''}: timed out after ${timeoutMs} ms`));
        return;
      }
      const exit = code ?? 128 + (sig ? 9 : 0);
      if (!okCodes.includes(exit)) {
        const detail = trimmed(stderr) || trimmed(stdout) || `exit status ${exit}`;
        reject(new BerthError('internal', `${binary} ${args[0] ?? ''}: ${detail}`));
        return;
      }
      resolve({ stdout, stderr, code: exit });
    });
    child.stdin.on('error', () => {
      /* the child may exit without reading its input; the exit status tells the story */
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface DetachedOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Starts a binary in its own session with stdio on /dev/null, not waited for: it outlives this
 * process (conmon, nats-server). Returns its pid once it has been spawned.
 */
export function spawnDetached(binary: string, args: readonly string[], options: DetachedOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      env: options.env ?? { PATH: DEFAULT_PATH },
      detached: true,
      stdio: 'ignore',
    });
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(new BerthError(e.code === 'ENOENT' ? 'unavailable' : 'internal', `${binary}: ${e.message}`, { cause: e })),
    );
    child.once('spawn', () => {
      child.unref();
      resolve(child.pid!);
    });
  });
}
