import { readFile } from 'node:fs/promises';
import { BerthError } from '@berth/kit';

/** Docker's defaults for an unprivileged container (moby oci/defaults.go, daemon/oci_linux.go). */

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
] as const;

/** Every capability up to CAP_CHECKPOINT_RESTORE (40), in number order. */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
  ];
}

/** Normalizes "net_admin" / "NET_ADMIN" / "CAP_NET_ADMIN" to "CAP_NET_ADMIN"; "ALL" stays. */
export function capName(name: string): string {
  const up = name.trim().toUpperCase();
  return up === 'ALL' || up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/**
 * Docker's TweakCapabilities: defaults (or all when privileged), then adds, then drops; "ALL" works
 * in both. "All" means all that `available` holds (this host's bounding set: a runtime cannot
 * grant what its caller lacks, e.g. CAP_SYS_RESOURCE here); naming an unavailable one is an error.
 */
export function effectiveCapabilities(
  opts: { privileged: boolean; capAdd: string[]; capDrop: string[] },
  available: ReadonlySet<string> = new Set(ALL_CAPABILITIES),
): string[] {
  const all = ALL_CAPABILITIES.filter((c) => available.has(c));
  if (opts.privileged) return all;
  const add = opts.capAdd.map(capName);
  const drop = opts.capDrop.map(capName);
  const known = new Set<string>(ALL_CAPABILITIES);
  for (const c of [...add, ...drop]) {
    if (c !== 'ALL' && !known.has(c)) throw new BerthError('invalid_argument', `unknown capability: "${c}"`);
  }
  for (const c of add) {
    if (c !== 'ALL' && !available.has(c)) throw new BerthError('invalid_argument', `capability ${c} is not available on this host`);
  }
  let caps: string[] = add.includes('ALL') ? all : [...DEFAULT_CAPABILITIES, ...add];
  if (drop.includes('ALL')) caps = add.filter((c) => c !== 'ALL');
  else caps = caps.filter((c) => !drop.includes(c));
  return [...new Set(caps)];
}

/** The capabilities in this process's bounding set (CapBnd of /proc/self/status), by name. */
export async function hostCapabilities(statusFile = '/proc/self/status'): Promise<Set<string>> {
  const text = await readFile(statusFile, 'utf8').catch(() => '');
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(text)?.[1];
  if (!hex) return new Set(ALL_CAPABILITIES);
  const mask = BigInt(`0x${hex}`);
  return new Set(ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n));
}
