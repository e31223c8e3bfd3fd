import { readFile } from 'node:fs/promises';
import { BerthError } from '@berth/kit';
import type { Ulimit } from '../domain/container.js';

/** Docker's ulimit names → the kernel's resource and its row in /proc/<pid>/limits. */
const RLIMITS: Record<string, { type: string; row: string }> = {
  as: { type: 'RLIMIT_AS', row: 'Max address space' },
  core: { type: 'RLIMIT_CORE', row: 'Max core file size' },
  cpu: { type: 'RLIMIT_CPU', row: 'Max cpu time' },
  data: { type: 'RLIMIT_DATA', row: 'Max data size' },
  fsize: { type: 'RLIMIT_FSIZE', row: 'Max file size' },
  locks: { type: 'RLIMIT_LOCKS', row: 'Max file locks' },
  memlock: { type: 'RLIMIT_MEMLOCK', row: 'Max locked memory' },
  msgqueue: { type: 'RLIMIT_MSGQUEUE', row: 'Max msgqueue size' },
  nice: { type: 'RLIMIT_NICE', row: 'Max nice priority' },
  nofile: { type: 'RLIMIT_NOFILE', row: 'Max open files' },
  nproc: { type: 'RLIMIT_NPROC', row: 'Max processes' },
  rss: { type: 'RLIMIT_RSS', row: 'Max resident set' },
  rtprio: { type: 'RLIMIT_RTPRIO', row: 'Max realtime priority' },
  rttime: { type: 'RLIMIT_RTTIME', row: 'Max realtime timeout' },
  sigpending: { type: 'RLIMIT_SIGPENDING', row: 'Max pending signals' },
  stack: { type: 'RLIMIT_STACK', row: 'Max stack size' },
};

/** Hard limits this process passes on to its children (conmon, the runtime, containers); undefined: unlimited. */
export type HostLimits = Record<string, number | undefined>;

export async function hostHardLimits(file = '/proc/self/limits'): Promise<HostLimits> {
  const text = await readFile(file, 'utf8');
  const out: HostLimits = {};
  for (const [name, { row }] of Object.entries(RLIMITS)) {
    const line = text.split('\n').find((l) => l.startsWith(row));
    const hard = line?.slice(row.length).trim().split(/\s+/)[1];
    out[name] = hard === undefined || hard === 'unlimited' ? undefined : Number(hard);
  }
  return out;
}

/**
 * Docker's ulimit checks, plus this host's: a limit can only be set at or below the hard limit
 * berth itself runs with, since raising one needs CAP_SYS_RESOURCE (which these hosts lack).
 */
export function validateUlimits(ulimits: Ulimit[], host: HostLimits): void {
  const seen = new Set<string>();
  for (const u of ulimits) {
    if (!RLIMITS[u.name]) throw new BerthError('invalid_argument', `invalid ulimit type: ${u.name}`);
    if (seen.has(u.name)) throw new BerthError('invalid_argument', `duplicate ulimit: ${u.name}`);
    seen.add(u.name);
    if (u.soft < 0 || u.hard < 0) throw new BerthError('invalid_argument', `ulimit ${u.name}: negative values are not allowed`);
    if (u.soft > u.hard) throw new BerthError('invalid_argument', `ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`);
    const max = host[u.name];
    if (max !== undefined && u.hard > max) {
      throw new BerthError('invalid_argument',
        `ulimit ${u.name}: hard limit ${u.hard} is above this host's limit ${max} (raising a limit needs CAP_SYS_RESOURCE)`);
    }
  }
}

/** OCI `process.rlimits`. */
export function ociRlimits(ulimits: Ulimit[] | undefined): Array<{ type: string; hard: number; soft: number }> {
  return (ulimits ?? []).map((u) => ({ type: RLIMITS[u.name]!.type, hard: u.hard, soft: u.soft }));
}
