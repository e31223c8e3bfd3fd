import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import type { CgroupSample, CgroupStats } from '../domain/ports.js';
import { sampleCgroup } from './cgroup-sample.js';

/**
 * Reads a container's cgroup files directly (cgroupfs driver paths). The OOM-kill counter is
 * `oom_kill` in memory.oom_control on cgroup v1 (and hybrid hosts, whose memory controller is v1)
 * and in memory.events on v2. It must be read before the runtime deletes the cgroup.
 */
export class CgroupFsStats implements CgroupStats {
  constructor(private readonly mount = '/sys/fs/cgroup') {}

  async oomKilled(cgroupsPath: string): Promise<boolean> {
    for (const file of [`${this.mount}/memory${cgroupsPath}/memory.oom_control`, `${this.mount}${cgroupsPath}/memory.events`]) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      const m = text && /^oom_kill (\d+)$/m.exec(text);
      if (m) return Number(m[1]) > 0;
    }
    return false;
  }

  async procs(cgroupsPath: string): Promise<number[]> {
    // v1: any controller lists them all (pids, or memory); v2: the unified cgroup.
    for (const file of [`${this.mount}/pids${cgroupsPath}/cgroup.procs`, `${this.mount}/memory${cgroupsPath}/cgroup.procs`, `${this.mount}${cgroupsPath}/cgroup.procs`]) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) return text.split('\n').filter(Boolean).map(Number);
    }
    return [];
  }

  async sample(cgroupsPath: string, pid: number): Promise<CgroupSample> {
    const s = await sampleCgroup(this.mount, cgroupsPath, pid);
    // No limit reads as a huge number (v1) or 0 ("max", v2): Docker reports the host's memory then.
    const host = totalmem();
    if (s.memory.limit === 0 || s.memory.limit > host) s.memory.limit = host;
    return s;
  }
}
