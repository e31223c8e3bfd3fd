import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { BerthError, DEFAULT_PATH, loadConfig, startNatsServer, waitForHealthy, type BerthConfig } from '@berth/kit';
import { launchNode, readPid, terminate, removePidFile, type Managed } from './processes.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The services in start order; each waits for health before the next group starts. */
export const SERVICES = [
  { name: 'registry', script: 'services/registry/dist/main.js', address: (c: BerthConfig) => c.addresses.registry },
  { name: 'network', script: 'services/network/dist/main.js', address: (c: BerthConfig) => c.addresses.network },
  { name: 'image', script: 'services/image/dist/main.js', address: (c: BerthConfig) => c.addresses.image },
  { name: 'runtime', script: 'services/runtime/dist/main.js', address: (c: BerthConfig) => c.addresses.runtime },
] as const;

export interface StackOptions {
  /** Environment for config and for the children (BERTH_*, OTEL_*); PATH is always set. */
  env: Record<string, string | undefined>;
  /** Children outlive this process (npm start) or die with it (tests). */
  detached: boolean;
  /** Only these services (default: all, plus the gateway). */
  only?: string[];
  /**
   * Environment of one service only, over `env` (keys: registry, network, image, runtime,
   * gateway): its own state/run roots, TLS certificate, listen address… as on separate hosts.
   */
  perService?: Record<string, Record<string, string>>;
}

export interface Stack {
  config: BerthConfig;
  natsUrl: string;
  socket: string;
  processes: Managed[];
  logDir: string;
  /** Each process's own config (env plus its perService entry). */
  configs: Record<string, BerthConfig>;
  perService: Record<string, Record<string, string>>;
  stop(): Promise<void>;
}

function childEnv(env: Record<string, string | undefined>, natsUrl: string): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH || DEFAULT_PATH, BERTH_NATS_URL: natsUrl };
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (k.startsWith('BERTH_') || k.startsWith('OTEL_'))) out[k] = v;
  }
  out.BERTH_NATS_URL = natsUrl;
  return out;
}

function pidFile(config: BerthConfig, name: string) {
  return path.join(config.runRoot, 'pids', `${name}.pid`);
}

/** NATS: the configured URL, or our own nats-server on loopback (reused if already running). */
async function ensureNats(config: BerthConfig, detached: boolean): Promise<{ url: string; stop?: () => Promise<void> }> {
  if (config.nats.url) return { url: config.nats.url };
  const urlFile = path.join(config.runRoot, 'nats.url');
  const pid = readPid(pidFile(config, 'nats'));
  if (pid && existsSync(urlFile)) return { url: readFileSync(urlFile, 'utf8').trim() };
  const nats = await startNatsServer({ storeDir: path.join(config.stateRoot, 'nats'), detached });
  mkdirSync(path.join(config.runRoot, 'pids'), { recursive: true });
  writeFileSync(pidFile(config, 'nats'), `${nats.pid}\n`);
  writeFileSync(urlFile, `${nats.url}\n`);
  return { url: nats.url, stop: nats.stop };
}

export function pingGateway(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => (req.destroy(), resolve(false)));
    req.end();
  });
}

async function waitForGateway(socket: string, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  while (!(await pingGateway(socket))) {
    if (Date.now() > deadline) throw new BerthError('unavailable', `gateway did not answer on ${socket}; see ${logFile}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}

/** Brings up NATS (unless configured), the four services and the gateway; waits until all are healthy. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const config = loadConfig({ env: options.env });
  const logDir = path.join(config.stateRoot, 'logs');
  mkdirSync(config.runRoot, { recursive: true, mode: 0o755 });
  const nats = await ensureNats(config, options.detached);
  const perService = options.perService ?? {};
  const configs: Record<string, BerthConfig> = {};
  for (const name of [...SERVICES.map((s) => s.name), 'gateway']) {
    configs[name] = perService[name] ? loadConfig({ env: { ...options.env, ...perService[name] } }) : config;
  }
  const processes: Managed[] = [];
  const wanted = (name: string) => !options.only || options.only.includes(name);
  const launch = async (name: string, script: string) => {
    const managed = await launchNode(path.join(repoRoot, script), {
      name,
      env: { ...childEnv(options.env, nats.url), ...perService[name] },
      logFile: path.join(logDir, `${name}.log`),
      pidFile: pidFile(config, name),
      detached: options.detached,
    });
    processes.push(managed);
  };
  const stack: Stack = {
    config,
    natsUrl: nats.url,
    socket: configs.gateway!.gateway.socket,
    processes,
    logDir,
    configs,
    perService,
    stop: async () => {
      for (const p of [...processes].reverse()) {
        await terminate(p.pid);
        removePidFile(pidFile(config, p.name));
      }
      await nats.stop?.();
      if (nats.stop) rmSync(path.join(config.runRoot, 'nats.url'), { force: true });
    },
  };
  try {
    for (const group of [['registry', 'network'], ['image'], ['runtime']]) {
      const services = SERVICES.filter((s) => group.includes(s.name) && wanted(s.name));
      await Promise.all(services.map((s) => launch(s.name, s.script)));
      await Promise.all(
        services.map((s) =>
          waitForHealthy(s.address(configs[s.name]!), { timeoutMs: 30_000, tls: configs[s.name]!.tls }).catch((err) => {
            throw new BerthError('unavailable', `${s.name} did not become healthy (${(err as Error).message}); see ${path.join(logDir, `${s.name}.log`)}`);
          }),
        ),
      );
    }
    if (wanted('gateway')) {
      await launch('gateway', 'gateway/dist/main.js');
      await waitForGateway(configs.gateway!.gateway.socket, 30_000, path.join(logDir, 'gateway.log'));
    }
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/** (Re)starts one service of a running stack, e.g. after a test killed it; waits until healthy. */
export async function launchService(stack: Stack, name: string, env: Record<string, string | undefined>): Promise<Managed> {
  const svc = SERVICES.find((s) => s.name === name);
  if (!svc) throw new BerthError('invalid_argument', `unknown service ${name}`);
  const managed = await launchNode(path.join(repoRoot, svc.script), {
    name,
    env: { ...childEnv(env, stack.natsUrl), ...stack.perService[name] },
    logFile: path.join(stack.logDir, `${name}.log`),
    pidFile: pidFile(stack.config, name),
    detached: false,
  });
  const i = stack.processes.findIndex((p) => p.name === name);
  if (i >= 0) stack.processes[i] = managed;
  else stack.processes.push(managed);
  const config = stack.configs[name] ?? stack.config;
  await waitForHealthy(svc.address(config), { timeoutMs: 30_000, tls: config.tls });
  return managed;
}

/** Stops the services and the gateway started by `npm start` (containers keep running). */
export async function stopStack(env: Record<string, string | undefined>, options: { nats: boolean }): Promise<string[]> {
  const config = loadConfig({ env });
  const stopped: string[] = [];
  for (const name of ['gateway', 'runtime', 'image', 'network', 'registry', ...(options.nats ? ['nats'] : [])]) {
    const file = pidFile(config, name);
    const pid = readPid(file);
    if (pid) {
      await terminate(pid);
      stopped.push(name);
    }
    removePidFile(file);
  }
  if (options.nats) rmSync(path.join(config.runRoot, 'nats.url'), { force: true });
  return stopped;
}
