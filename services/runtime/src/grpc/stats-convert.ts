import type { runtime } from '@berth/proto';
import type { StatsSample } from '../domain/container-stats.js';
import type { BlkioEntry, CpuSample } from '../domain/ports.js';

/** uint64 fields travel as JS numbers: drop what a double cannot hold exactly (v1's "no limit" values). */
const safe = (n: number) => (Number.isSafeInteger(n) && n >= 0 ? n : 0);

function cpuOut(c: CpuSample | undefined, systemNs: number, online: number): runtime.CpuUsage {
  return {
    totalUsage: safe(c?.totalNs ?? 0), usageInKernelmode: safe(c?.kernelNs ?? 0), usageInUsermode: safe(c?.userNs ?? 0),
    percpuUsage: (c?.perCpuNs ?? []).map(safe), systemCpuUsage: safe(systemNs), onlineCpus: online,
    throttlingPeriods: safe(c?.throttlingPeriods ?? 0), throttledPeriods: safe(c?.throttledPeriods ?? 0), throttledTime: safe(c?.throttledNs ?? 0),
  };
}

const blkio = (list: BlkioEntry[]) => list.map((e) => ({ major: e.major, minor: e.minor, op: e.op, value: safe(e.value) }));

export function statsToProto(s: StatsSample): runtime.ContainerStatsResponse {
  const cur = s.sample;
  const prev = s.previous;
  const stats = Object.fromEntries(Object.entries(cur?.memory.stats ?? {}).filter(([, v]) => Number.isSafeInteger(v)));
  return {
    read: s.read, preread: s.preread,
    cpu: cpuOut(cur?.cpu, cur?.systemCpuNs ?? 0, cur?.onlineCpus ?? 0),
    precpu: cpuOut(prev?.cpu, prev?.systemCpuNs ?? 0, prev?.onlineCpus ?? 0),
    memory: {
      usage: safe(cur?.memory.usage ?? 0), maxUsage: safe(cur?.memory.maxUsage ?? 0), limit: safe(cur?.memory.limit ?? 0),
      failcnt: safe(cur?.memory.failcnt ?? 0), stats,
    },
    pidsCurrent: safe(cur?.pidsCurrent ?? 0), pidsLimit: safe(cur?.pidsLimit ?? 0),
    ioServiceBytes: blkio(cur?.ioServiceBytes ?? []), ioServiced: blkio(cur?.ioServiced ?? []),
    networks: (cur?.networks ?? []).map((n) => ({
      interface: n.name, rxBytes: n.rxBytes, rxPackets: n.rxPackets, rxErrors: n.rxErrors, rxDropped: n.rxDropped,
      txBytes: n.txBytes, txPackets: n.txPackets, txErrors: n.txErrors, txDropped: n.txDropped,
    })),
    cgroupVersion: cur?.version ?? '',
  };
}
