import { readFile } from 'node:fs/promises';
import type { Collector, MetricFamily } from '@berth/kit';
import { cgroupsPath, type RuntimeContext } from './domain/context.js';

const STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;

async function readNumber(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined); // gone (exited) or another cgroup version
  const n = text === undefined ? NaN : Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** CPU seconds and memory bytes of one cgroup: cgroup v1 (and hybrid hosts) first, then v2. */
async function cgroupUsage(mount: string, cg: string): Promise<{ cpu?: number; memory?: number }> {
  const v1cpu = await readNumber(`${mount}/cpuacct${cg}/cpuacct.usage`);
  const v1mem = await readNumber(`${mount}/memory${cg}/memory.usage_in_bytes`);
  if (v1cpu !== undefined || v1mem !== undefined) {
    return { ...(v1cpu !== undefined && { cpu: v1cpu / 1e9 }), ...(v1mem !== undefined && { memory: v1mem }) };
  }
  const stat = await readFile(`${mount}${cg}/cpu.stat`, 'utf8').catch(() => '');
  const usec = /^usage_usec (\d+)$/m.exec(stat);
  const mem = await readNumber(`${mount}${cg}/memory.current`);
  return { ...(usec && { cpu: Number(usec[1]) / 1e6 }), ...(mem !== undefined && { memory: mem }) };
}

/**
 * The runtime's gauges, read at scrape time: containers by state (from the container store) and
 * each running container's CPU time and memory from its cgroup files. Registered with kit's
 * process metrics in index.ts.
 */
export function runtimeCollector(ctx: RuntimeContext, cgroupMount = '/sys/fs/cgroup'): Collector {
  return async (): Promise<MetricFamily[]> => {
    const containers = ctx.db.list();
    const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
    for (const c of containers) counts.set(c.state.status, (counts.get(c.state.status) ?? 0) + 1);
    const running = containers.filter((c) => c.state.status === 'running' || c.state.status === 'paused');
    const usage = await Promise.all(running.map((c) => cgroupUsage(cgroupMount, cgroupsPath(ctx, c.id))));
    const cpu: MetricFamily = { name: 'berth_container_cpu_seconds_total', help: 'CPU time used by a running container (its cgroup)', type: 'counter', samples: [] };
    const memory: MetricFamily = { name: 'berth_container_memory_bytes', help: 'Memory used by a running container (its cgroup, page cache included)', type: 'gauge', samples: [] };
    running.forEach((c, i) => {
      const labels = { id: c.id, name: c.name };
      const u = usage[i]!;
      if (u.cpu !== undefined) cpu.samples.push({ labels, value: u.cpu });
      if (u.memory !== undefined) memory.samples.push({ labels, value: u.memory });
    });
    return [
      { name: 'berth_containers', help: 'Containers by state', type: 'gauge', samples: [...counts].map(([state, value]) => ({ labels: { state }, value })) },
      cpu,
      memory,
    ];
  };
}
