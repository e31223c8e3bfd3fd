import { BerthError, runCommand } from '@berth/kit';
import { Status } from './container.js';
import { cgroupsPath, type RuntimeContext } from './context.js';
import { notRunning } from './errors.js';
import { findContainer } from './lookup.js';

export interface TopResult {
  titles: string[];
  processes: string[][];
}

/**
 * Docker's top: the host's `ps` with the user's arguments (default -ef), rows kept for the pids in
 * the container's cgroup. The last column takes the rest of the line (a command with spaces).
 */
export async function topContainer(ctx: RuntimeContext, ref: string, psArgs: string): Promise<TopResult> {
  const c = findContainer(ctx, ref);
  if (c.state.status === Status.Restarting) throw new BerthError('failed_precondition', `Container ${c.id} is restarting, wait until the container is running`);
  if (c.state.status !== Status.Running && c.state.status !== Status.Paused) throw notRunning(c.id);
  const pids = new Set(await ctx.cgroups.procs(cgroupsPath(ctx, c.id)));
  const args = (psArgs.trim() || '-ef').split(/\s+/);
  const res = await runCommand('ps', args, { timeoutMs: 30_000, okCodes: [0, 1] }).catch((err: unknown) => {
    throw new BerthError('invalid_argument', `ps ${args.join(' ')}: ${(err as Error).message}`, { cause: err });
  });
  if (res.code !== 0) throw new BerthError('invalid_argument', `ps: ${res.stderr.trim() || 'failed'}`);
  return parsePs(res.stdout, pids);
}

export function parsePs(output: string, pids: Set<number>): TopResult {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new BerthError('invalid_argument', "Couldn't find PID field in ps output");
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!line.trim() || !pids.has(Number(fields[pidIndex]))) continue;
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  }
  return { titles, processes };
}
