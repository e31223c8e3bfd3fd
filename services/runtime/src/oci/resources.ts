import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Resources } from '../domain/container.js';

const BLKIO = '/sys/fs/cgroup/blkio';

/**
 * Whether this host's blkio (cgroup v1) has BFQ's weight only: no `blkio.weight` (CFQ is gone from
 * kernels ≥ 5.0), `blkio.bfq.weight` instead. runc writes there for OCI blockIO.weight; crun 1.8
 * fails the create (`opening file blkio.weight`). So berth writes that file itself, for both.
 */
export async function blkioBfqOnly(): Promise<boolean> {
  const has = (f: string) => access(path.join(BLKIO, f)).then(() => true, () => false);
  // The root cgroup has no weight file under BFQ; its statistics files say BFQ is there.
  return !(await has('blkio.weight')) && (await has('blkio.bfq.io_service_bytes'));
}

/** Sets a container's BFQ blkio weight (see blkioBfqOnly), its cgroup made by the runtime. */
export async function writeBfqWeight(cgroupsPath: string, weight: number): Promise<void> {
  await writeFile(path.join(BLKIO, cgroupsPath, 'blkio.bfq.weight'), String(weight));
}

/**
 * Docker's HostConfig resources → OCI linux.resources (cgroup v1 and v2 alike; the runtime
 * translates). `bfqWeight`: the blkio weight is left out, for writeBfqWeight.
 */
export function ociResources(r: Resources, opts: { bfqWeight?: boolean } = {}): Record<string, unknown> {
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
  if (r.blkioWeight && !opts.bfqWeight) out.blockIO = { weight: r.blkioWeight };
  return out;
}
