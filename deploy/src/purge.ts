import http from 'node:http';
import path from 'node:path';
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { loadConfig, type BerthConfig } from '@berth/kit';
import { purgeNetworkState } from '@berth/network';
import { stopStack } from './stack.js';

export interface PurgeReport {
  containers: string[];
  stopped: string[];
  /** Cgroup directories that would not go (a process still in them). */
  busyCgroups: string[];
}

/**
 * `npm stop -- --purge`: what an uninstall needs. Every container is removed (through the
 * gateway, so mounts, conmon, veths and cgroups go the normal way), the services stop, then the
 * kernel objects that outlive the services by design — the bridges, berth's iptables chains and
 * netns files — and the empty cgroup parent are removed. Images, volumes and the databases stay.
 */
export async function purgeStack(env: Record<string, string | undefined>, options: { nats: boolean }): Promise<PurgeReport> {
  const config = loadConfig({ env });
  const containers = await removeAllContainers(config.gateway.socket);
  const stopped = await stopStack(env, options);
  await purgeNetworkState(config);
  const busyCgroups = removeCgroupParent(config.runtime.cgroupParent);
  return { containers, stopped, busyCgroups };
}

async function removeAllContainers(socket: string): Promise<string[]> {
  if (!existsSync(socket)) return [];
  const list = await request(socket, 'GET', '/containers/json?all=1').catch(() => undefined);
  if (!list || list.status !== 200) {
    throw new Error(`the gateway at ${socket} did not list containers (${list ? `HTTP ${list.status}` : 'unreachable'}); start the stack (npm start) so --purge can remove them`);
  }
  const removed: string[] = [];
  for (const c of JSON.parse(list.body) as Array<{ Id: string }>) {
    const res = await request(socket, 'DELETE', `/containers/${c.Id}?force=1&v=1`);
    if (res.status !== 204 && res.status !== 404) throw new Error(`removing container ${c.Id.slice(0, 12)}: HTTP ${res.status} ${res.body}`);
    removed.push(c.Id);
  }
  return removed;
}

function request(socketPath: string, method: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: url, timeout: 60_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** rmdir of the parent (and any empty children left) in every hierarchy; v1, hybrid and v2. */
function removeCgroupParent(parent: string): string[] {
  const base = '/sys/fs/cgroup';
  if (!parent || parent.includes('..')) return [];
  const hierarchies = existsSync(path.join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => path.join(base, d));
  const busy: string[] = [];
  for (const h of hierarchies) {
    const dir = path.join(h, parent);
    if (!existsSync(dir)) continue;
    for (const child of readdirSync(dir, { withFileTypes: true })) {
      if (!child.isDirectory()) continue;
      try {
        rmdirSync(path.join(dir, child.name));
      } catch {
        busy.push(path.join(dir, child.name));
      }
    }
    try {
      rmdirSync(dir);
    } catch {
      busy.push(dir);
    }
  }
  return busy;
}
