import { mkdtempSync, rmSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startStack, launchService, type Stack } from '@berth/deploy';
import { startRegistry, busyboxImage, pushImage, type RegistryFixture } from '@berth/fixtures';
import { api } from './api.js';
import { purgeNetworkState } from '@berth/network';
import { removeCgroupParent, unmountUnder, forceRemoveContainers } from './leaks.js';

export interface TestStack {
  stack: Stack;
  root: string;
  env: Record<string, string>;
  socket: string;
  cgroupParent: string;
  registry: RegistryFixture;
  /** "127.0.0.1:PORT/busybox" pushed to the test registry. */
  busybox: string;
  restart(name: string): Promise<void>;
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  logs(name: string): string;
  stop(): Promise<void>;
}

/**
 * A whole berth stack as separate processes on temp state/run roots, its own nats-server, its own
 * cgroup parent and bridge, and a real docker-registry holding a busybox image built from
 * busybox-static. stop() removes every container first, then everything else.
 */
export async function startTestStack(options: { services?: string[]; env?: Record<string, string>; perService?: Record<string, Record<string, string>> } = {}): Promise<TestStack> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-'));
  const tag = randomBytes(3).toString('hex');
  const cgroupParent = `berth-e2e-${tag}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    BERTH_STATE_ROOT: path.join(root, 'state'),
    BERTH_RUN_ROOT: path.join(root, 'run'),
    BERTH_CGROUP_PARENT: cgroupParent,
    BERTH_BRIDGE_NAME: `be${tag}`,
    BERTH_BRIDGE_SUBNET: `10.${210 + (parseInt(tag, 16) % 40)}.0.0/16`,
    // Names the embedded DNS does not know go nowhere off the machine (a closed loopback port: SERVFAIL).
    BERTH_DNS_UPSTREAMS: '127.0.0.1:9',
    BERTH_LOG_LEVEL: 'debug',
    BERTH_CONFIG: path.join(root, 'none.toml'),
    ...options.env,
  };
  mkdirSync(env.BERTH_RUN_ROOT!, { recursive: true });
  const registry = await startRegistry();
  const image = await busyboxImage({ format: 'docker' });
  await pushImage(registry.host, 'busybox', 'latest', image);
  await image.dispose();
  let stack: Stack;
  try {
    stack = await startStack({ env, detached: false, only: options.services, ...(options.perService && { perService: options.perService }) });
  } catch (err) {
    await registry.stop();
    throw err;
  }
  const t: TestStack = {
    stack,
    root,
    env,
    socket: stack.socket,
    cgroupParent,
    registry,
    busybox: `${registry.host}/busybox`,
    restart: async (name) => void (await launchService(stack, name, env)),
    kill: async (name, signal = 'SIGKILL') => {
      const p = stack.processes.find((x) => x.name === name);
      if (!p) throw new Error(`no process ${name}`);
      process.kill(p.pid, signal);
      await waitGone(p.pid);
    },
    logs: (name) => {
      const f = path.join(stack.logDir, `${name}.log`);
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    },
    stop: async () => {
      // Whether berth removed every container itself. If not (a test failed with a service down),
      // what is left is killed and removed by hand, so one failure does not fail the leak checks too.
      let removedAll = false;
      try {
        const gateway = stack.processes.find((p) => p.name === 'gateway');
        if (gateway && !alive(gateway.pid)) return; // stopped (npm stop --purge did it all); the finally cleans up
        const list = await api(stack.socket, 'GET', '/containers/json?all=1');
        if (list.status !== 200) return;
        let failures = 0;
        for (const c of (list.json as Array<{ Id: string }>) ?? []) {
          const rm = await api(stack.socket, 'DELETE', `/containers/${c.Id}?force=1`);
          if (rm.status >= 300 && rm.status !== 404) failures++;
        }
        removedAll = failures === 0;
      } finally {
        await stack.stop();
        if (!removedAll) forceRemoveContainers(root, cgroupParent);
        // Bridges and berth's iptables chains outlive the network service by design; a test stack removes them.
        await purgeNetworkState(stack.config);
        await registry.stop();
        await unmountUnder(root);
        removeCgroupParent(cgroupParent);
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  return t;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not exit`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
