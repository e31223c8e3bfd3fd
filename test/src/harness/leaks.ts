import { readFileSync, readdirSync, existsSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from '@berth/kit';

/** Mount points under root (from /proc/self/mountinfo, field 5). */
export function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === root || m.startsWith(root + '/'));
}

export async function unmountUnder(root: string): Promise<void> {
  for (const m of mountsUnder(root).sort().reverse()) {
    await runCommand('umount', ['-l', m], { okCodes: [0, 32] });
  }
}

/** Container cgroups under berth's parent in every hierarchy (v1 controllers and the v2 mount). */
export function cgroupsUnder(parent: string): string[] {
  const found: string[] = [];
  const base = '/sys/fs/cgroup';
  const hierarchies = existsSync(path.join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => path.join(base, d));
  for (const h of hierarchies) {
    const dir = path.join(h, parent);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) found.push(path.join(dir, e.name));
  }
  return found;
}

/** conmon processes whose command line mentions root. */
export function conmonsUnder(root: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0] ?? '') === 'conmon' && argv.some((a) => a.includes(root))) pids.push(Number(e));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Removes berth's parent cgroup (it must be empty: a leaked container cgroup makes rmdir fail). */
export function removeCgroupParent(parent: string): string[] {
  const base = '/sys/fs/cgroup';
  const hierarchies = existsSync(path.join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => path.join(base, d));
  const failed: string[] = [];
  for (const h of hierarchies) {
    const dir = path.join(h, parent);
    if (!existsSync(dir)) continue;
    try {
      rmdirSync(dir);
    } catch {
      failed.push(dir);
    }
  }
  return failed;
}

/**
 * Last resort after a failed test left containers berth could not remove: kills the stack's conmon
 * processes and every process in its cgroups, then removes the container cgroups. Says on stderr
 * what it found, so the leak is not silent.
 */
export function forceRemoveContainers(root: string, parent: string): void {
  const conmons = conmonsUnder(root);
  for (const pid of conmons) kill(pid);
  const cgroups = cgroupsUnder(parent);
  for (const dir of cgroups) {
    for (const file of ['cgroup.procs', 'tasks']) {
      const f = path.join(dir, file);
      if (!existsSync(f)) continue;
      for (const pid of readFileSync(f, 'utf8').split('\n').filter(Boolean)) kill(Number(pid));
    }
  }
  if (conmons.length || cgroups.length) {
    process.stderr.write(`test stack ${root}: killed ${conmons.length} conmon(s) and the processes of ${cgroups.length} cgroup(s) berth left\n`);
  }
  const deadline = Date.now() + 5000;
  for (const dir of cgroups) {
    for (;;) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        if (Date.now() > deadline) break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // the killed processes are still exiting
      }
    }
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
