import { readFile } from 'node:fs/promises';
import type { CgroupStats } from '../domain/ports.js';

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
}
