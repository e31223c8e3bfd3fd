import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BERTH_CLI = path.join(repoRoot, 'gateway/dist/cli/main.js');
export const DOCKER_CLI = '/usr/local/bin/docker';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>, timeoutMs: number, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(cmd)} ${args.join(' ')} timed out; stdout=${stdout} stderr=${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** The berth CLI against the stack's socket. */
export function berth(socket: string, args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  return run(process.execPath, [BERTH_CLI, ...args], { PATH: process.env.PATH ?? '', BERTH_HOST: `unix://${socket}` }, options.timeoutMs ?? 60_000, options.input);
}

const dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'berth-docker-config-'));
process.on('exit', () => rmSync(dockerConfig, { recursive: true, force: true }));

/** The stock docker CLI (v28) against berth's socket. */
export function docker(socket: string, args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  return run(
    DOCKER_CLI,
    args,
    { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dockerConfig, HOME: dockerConfig },
    options.timeoutMs ?? 60_000,
    options.input,
  );
}
