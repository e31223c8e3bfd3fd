import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { BerthError } from './errors.js';
import { DEFAULT_PATH } from './command.js';

export interface NatsServerHandle {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * Starts Debian's nats-server with JetStream on loopback, its store under storeDir, and waits
 * until it accepts connections. `detached` lets it outlive this process (the stack's embedded NATS).
 */
export async function startNatsServer(options: { storeDir: string; port?: number; detached?: boolean; binary?: string }): Promise<NatsServerHandle> {
  mkdirSync(options.storeDir, { recursive: true });
  const port = options.port ?? (await freeTcpPort());
  const child: ChildProcess = spawn(
    options.binary ?? 'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', options.storeDir, '--http_port', '0'],
    { env: { PATH: DEFAULT_PATH }, stdio: 'ignore', detached: options.detached ?? false },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!started) throw new BerthError('unavailable', 'nats-server is not installed');
  const deadline = Date.now() + 10_000;
  let delay = 10;
  while (!(await portOpen(port))) {
    if (exited) throw new BerthError('unavailable', `nats-server exited at start (port ${port})`);
    if (Date.now() > deadline) throw new BerthError('unavailable', 'nats-server did not start in 10 s');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
  if (options.detached) child.unref();
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
