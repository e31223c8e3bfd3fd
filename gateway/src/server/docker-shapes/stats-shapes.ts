import type { runtime } from '@berth/proto';

function cpu(c: runtime.CpuUsage | undefined): Record<string, unknown> {
  return {
    cpu_usage: {
      total_usage: c?.totalUsage ?? 0,
      ...(c?.percpuUsage.length ? { percpu_usage: c.percpuUsage } : {}),
      usage_in_kernelmode: c?.usageInKernelmode ?? 0,
      usage_in_usermode: c?.usageInUsermode ?? 0,
    },
    system_cpu_usage: c?.systemCpuUsage ?? 0,
    online_cpus: c?.onlineCpus ?? 0,
    throttling_data: { periods: c?.throttlingPeriods ?? 0, throttled_periods: c?.throttledPeriods ?? 0, throttled_time: c?.throttledTime ?? 0 },
  };
}

const blkio = (list: runtime.BlkioEntry[]) => (list.length ? list.map((e) => ({ major: e.major, minor: e.minor, op: e.op, value: e.value })) : null);

/** Docker's stats JSON (types.StatsJSON) from one runtime sample. */
export function statsJson(s: runtime.ContainerStatsResponse, id: string, name: string): Record<string, unknown> {
  const networks = Object.fromEntries(s.networks.map((n) => [n.interface, {
    rx_bytes: n.rxBytes, rx_packets: n.rxPackets, rx_errors: n.rxErrors, rx_dropped: n.rxDropped,
    tx_bytes: n.txBytes, tx_packets: n.txPackets, tx_errors: n.txErrors, tx_dropped: n.txDropped,
  }]));
  const running = Boolean(s.memory && s.cgroupVersion);
  return {
    read: s.read,
    preread: s.preread,
    pids_stats: running ? { current: s.pidsCurrent, ...(s.pidsLimit ? { limit: s.pidsLimit } : {}) } : {},
    blkio_stats: { io_service_bytes_recursive: blkio(s.ioServiceBytes), io_serviced_recursive: blkio(s.ioServiced),
      io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null,
      io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu(s.cpu),
    precpu_stats: cpu(s.precpu),
    memory_stats: running
      ? { usage: s.memory!.usage, max_usage: s.memory!.maxUsage, stats: s.memory!.stats, failcnt: s.memory!.failcnt, limit: s.memory!.limit }
      : {},
    name: `/${name}`,
    id,
    ...(Object.keys(networks).length ? { networks } : {}),
  };
}
