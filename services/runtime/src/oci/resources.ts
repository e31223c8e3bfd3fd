import type { Resources } from '../domain/container.js';

/** Docker's HostConfig resources → OCI linux.resources (cgroup v1 and v2 alike; runc translates). */
export function ociResources(r: Resources): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.memory && r.memory > 0) {
    // Docker: swap unset (0) means twice the memory; -1 means unlimited.
    const swap = r.memorySwap === -1 ? -1 : r.memorySwap && r.memorySwap > 0 ? r.memorySwap : r.memory * 2;
    out.memory = { limit: r.memory, swap, ...(r.memoryReservation ? { reservation: r.memoryReservation } : {}) };
  } else if (r.memoryReservation) {
    out.memory = { reservation: r.memoryReservation };
  }
  const cpu: Record<string, unknown> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.nanoCpus) {
    cpu.period = 100_000;
    cpu.quota = Math.round((r.nanoCpus * 100_000) / 1e9);
  } else {
    if (r.cpuPeriod) cpu.period = r.cpuPeriod;
    if (r.cpuQuota) cpu.quota = r.cpuQuota;
  }
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  if (r.blkioWeight) out.blockIO = { weight: r.blkioWeight };
  return out;
}
