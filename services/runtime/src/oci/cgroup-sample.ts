import { readFile } from 'node:fs/promises';
import type { BlkioEntry, CgroupSample, CpuSample, NetworkSample } from '../domain/ports.js';

const USER_HZ = 100; // the unit of cpuacct.stat and /proc/stat (sysconf(_SC_CLK_TCK) on Linux)
const NS_PER_TICK = 1e9 / USER_HZ;

const text = (file: string) => readFile(file, 'utf8').catch(() => undefined);
const num = async (file: string): Promise<number> => {
  const t = (await text(file))?.trim();
  return t && /^\d+$/.test(t) ? Number(t) : 0;
};

/** "key value" lines → map. */
export function keyValues(t: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (t ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** The host's CPU time (ns) and online CPUs from /proc/stat, as Docker's system_cpu_usage. */
async function hostCpu(): Promise<{ systemNs: number; online: number }> {
  const lines = ((await text('/proc/stat')) ?? '').split('\n');
  const total = (lines[0] ?? '').split(/\s+/).slice(1, 8).reduce((a, b) => a + (Number(b) || 0), 0);
  return { systemNs: total * NS_PER_TICK, online: lines.filter((l) => /^cpu\d+ /.test(l)).length };
}

/** Interfaces of the container's netns, seen through its init's /proc/<pid>/net/dev (no loopback). */
async function networks(pid: number): Promise<NetworkSample[]> {
  if (pid <= 0) return [];
  const lines = ((await text(`/proc/${pid}/net/dev`)) ?? '').split('\n').slice(2);
  return lines.flatMap((line) => {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') return [];
    const f = m[2]!.trim().split(/\s+/).map(Number);
    return [{ name: m[1]!, rxBytes: f[0] ?? 0, rxPackets: f[1] ?? 0, rxErrors: f[2] ?? 0, rxDropped: f[3] ?? 0,
      txBytes: f[8] ?? 0, txPackets: f[9] ?? 0, txErrors: f[10] ?? 0, txDropped: f[11] ?? 0 }];
  });
}

/** blkio v1 lines "8:0 Read 4096" (the "Total" lines dropped). */
function blkioV1(t: string | undefined): BlkioEntry[] {
  return (t ?? '').split('\n').flatMap((line) => {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    return m ? [{ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) }] : [];
  });
}

/** io.stat v2 lines "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." → Docker's v1-shaped entries. */
function ioStatV2(t: string | undefined): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of (t ?? '').split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(kvs.map((x) => x.split('=')).map(([k, v]) => [k, Number(v) || 0]));
    const at = { major: Number(m[1]), minor: Number(m[2]) };
    bytes.push({ ...at, op: 'read', value: kv.rbytes ?? 0 }, { ...at, op: 'write', value: kv.wbytes ?? 0 });
    ios.push({ ...at, op: 'read', value: kv.rios ?? 0 }, { ...at, op: 'write', value: kv.wios ?? 0 });
  }
  return { bytes, ios };
}

/** One sample of a container's cgroup (cgroupfs path "/berth/<id>"): v1 (and hybrid) or v2. */
export async function sampleCgroup(mount: string, cg: string, pid: number): Promise<CgroupSample> {
  const [host, nets] = await Promise.all([hostCpu(), networks(pid)]);
  if ((await text(`${mount}/memory${cg}/memory.usage_in_bytes`)) !== undefined) return { ...(await v1(mount, cg)), ...hostOf(host), networks: nets };
  return { ...(await v2(mount, cg)), ...hostOf(host), networks: nets };
}

function hostOf(host: { systemNs: number; online: number }) {
  return { systemCpuNs: host.systemNs, onlineCpus: host.online };
}

type Own = Omit<CgroupSample, 'systemCpuNs' | 'onlineCpus' | 'networks'>;

async function v1(mount: string, cg: string): Promise<Own> {
  const at = (ctrl: string, file: string) => `${mount}/${ctrl}${cg}/${file}`;
  const [usage, percpu, cpuacct, cpuStat, memStat, blkBytes, blkIos] = await Promise.all([
    num(at('cpuacct', 'cpuacct.usage')), text(at('cpuacct', 'cpuacct.usage_percpu')), text(at('cpuacct', 'cpuacct.stat')),
    text(at('cpu', 'cpu.stat')), text(at('memory', 'memory.stat')),
    text(at('blkio', 'blkio.throttle.io_service_bytes_recursive')).then((t) => t ?? text(at('blkio', 'blkio.throttle.io_service_bytes'))),
    text(at('blkio', 'blkio.throttle.io_serviced_recursive')).then((t) => t ?? text(at('blkio', 'blkio.throttle.io_serviced'))),
  ]);
  const acct = keyValues(cpuacct);
  const throttle = keyValues(cpuStat);
  const cpu: CpuSample = {
    totalNs: usage, kernelNs: (acct.system ?? 0) * NS_PER_TICK, userNs: (acct.user ?? 0) * NS_PER_TICK,
    perCpuNs: (percpu ?? '').trim().split(/\s+/).filter(Boolean).map(Number),
    throttlingPeriods: throttle.nr_periods ?? 0, throttledPeriods: throttle.nr_throttled ?? 0, throttledNs: throttle.throttled_time ?? 0,
  };
  const [memUsage, memMax, memLimit, failcnt, pidsCurrent, pidsMax] = await Promise.all([
    num(at('memory', 'memory.usage_in_bytes')), num(at('memory', 'memory.max_usage_in_bytes')), num(at('memory', 'memory.limit_in_bytes')),
    num(at('memory', 'memory.failcnt')), num(at('pids', 'pids.current')), num(at('pids', 'pids.max')),
  ]);
  return {
    version: 'v1', cpu,
    memory: { usage: memUsage, maxUsage: memMax, limit: memLimit, failcnt, stats: keyValues(memStat) },
    pidsCurrent, pidsLimit: pidsMax, ioServiceBytes: blkioV1(blkBytes), ioServiced: blkioV1(blkIos),
  };
}

async function v2(mount: string, cg: string): Promise<Own> {
  const at = (file: string) => `${mount}${cg}/${file}`;
  const [cpuStat, memStat, ioStat, memCurrent, memMax, memPeak, memEvents, pidsCurrent, pidsMax] = await Promise.all([
    text(at('cpu.stat')), text(at('memory.stat')), text(at('io.stat')), num(at('memory.current')), num(at('memory.max')),
    num(at('memory.peak')), text(at('memory.events')), num(at('pids.current')), num(at('pids.max')),
  ]);
  const c = keyValues(cpuStat);
  const io = ioStatV2(ioStat);
  return {
    version: 'v2',
    cpu: {
      totalNs: (c.usage_usec ?? 0) * 1000, kernelNs: (c.system_usec ?? 0) * 1000, userNs: (c.user_usec ?? 0) * 1000, perCpuNs: [],
      throttlingPeriods: c.nr_periods ?? 0, throttledPeriods: c.nr_throttled ?? 0, throttledNs: (c.throttled_usec ?? 0) * 1000,
    },
    memory: { usage: memCurrent, maxUsage: memPeak, limit: memMax, failcnt: keyValues(memEvents).max ?? 0, stats: keyValues(memStat) },
    pidsCurrent, pidsLimit: pidsMax, ioServiceBytes: io.bytes, ioServiced: io.ios,
  };
}
