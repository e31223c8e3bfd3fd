import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { waitForHealthy } from '@berth/kit';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/** Test-only: the image service as its own process (dist/main.js), to be killed and restarted. */
export interface ChildService {
  readonly process: ChildProcess;
  /** stdout+stderr so far (the service's JSON log). */
  output(): string;
  /** Sends `signal` and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startImageChild(env: Record<string, string>, address: string): Promise<ChildService> {
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = once(child, 'exit');
  const service: ChildService = {
    process: child,
    output: () => out,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  try {
    await Promise.race([waitForHealthy(address, { timeoutMs: 20_000 }), exited.then(() => Promise.reject(new Error(`image service exited: ${out}`)))]);
  } catch (err) {
    await service.kill('SIGKILL');
    throw err;
  }
  return service;
}
