import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { goArch } from '@berth/kit';

/** What `/info` and `/version` say about the host, probed once at startup (the host does not change under us). */
export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  /** Docker's names: "amd64", "arm64". */
  arch: string;
  /** `uname -m` style: "x86_64", "aarch64". */
  machine: string;
  ncpu: number;
  memTotal: number;
  hostname: string;
  /** "2" for a unified hierarchy; "1" for v1 and hybrid hosts (v1 controllers, near-empty v2 mount). */
  cgroupVersion: '1' | '2';
  memoryLimit: boolean;
  swapLimit: boolean;
  cpuCfs: boolean;
  cpuShares: boolean;
  cpuSet: boolean;
  pidsLimit: boolean;
  ipv4Forwarding: boolean;
}


function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // Absent on this host: the caller treats "" as "not supported".
    return '';
  }
}

function osRelease(): { pretty: string; version: string } {
  const text = readText('/etc/os-release');
  const field = (key: string): string => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
  return { pretty: field('PRETTY_NAME') || os.type(), version: field('VERSION_ID') };
}

export function probeHost(cgroupRoot = '/sys/fs/cgroup'): HostFacts {
  const v2 = existsSync(`${cgroupRoot}/cgroup.controllers`);
  const v2Controllers = v2 ? readText(`${cgroupRoot}/cgroup.controllers`).split(/\s+/) : [];
  const has = (v1Path: string, v2Controller: string): boolean =>
    v2 ? v2Controllers.includes(v2Controller) : existsSync(`${cgroupRoot}/${v1Path}`);
  const release = osRelease();
  return {
    kernelVersion: os.release(),
    operatingSystem: release.pretty,
    osVersion: release.version,
    arch: goArch(),
    machine: os.machine(),
    ncpu: os.availableParallelism(),
    memTotal: os.totalmem(),
    hostname: os.hostname(),
    cgroupVersion: v2 ? '2' : '1',
    memoryLimit: has('memory/memory.limit_in_bytes', 'memory'),
    swapLimit: v2 ? v2Controllers.includes('memory') : existsSync(`${cgroupRoot}/memory/memory.memsw.limit_in_bytes`),
    cpuCfs: has('cpu/cpu.cfs_period_us', 'cpu'),
    cpuShares: has('cpu/cpu.shares', 'cpu'),
    cpuSet: has('cpuset/cpuset.cpus', 'cpuset'),
    pidsLimit: has('pids', 'pids'),
    ipv4Forwarding: readText('/proc/sys/net/ipv4/ip_forward').trim() === '1',
  };
}
