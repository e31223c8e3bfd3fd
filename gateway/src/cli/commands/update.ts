import type { Command } from '../command.js';
import { flagInt, flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { forEachArgument } from './for-each.js';

/** "64m", "1g", "1024" → bytes (Docker's RAMInBytes). */
export function bytesOf(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid size: '${text}'`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * unit);
}

export const updateCommand: Command<{ containers: string[]; body: Record<string, unknown> }> = {
  name: 'update',
  usage: 'berth update [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Update configuration of one or more containers',
  flags: [
    { long: 'memory', short: 'm', kind: 'string', valueName: 'bytes', description: 'Memory limit' },
    { long: 'memory-swap', kind: 'string', valueName: 'bytes', description: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' },
    { long: 'cpus', kind: 'string', valueName: 'decimal', description: 'Number of CPUs' },
    { long: 'cpu-shares', short: 'c', kind: 'string', valueName: 'int', description: 'CPU shares (relative weight)' },
    { long: 'cpuset-cpus', kind: 'string', valueName: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)' },
    { long: 'pids-limit', kind: 'string', valueName: 'int', description: 'Tune container pids limit' },
    { long: 'blkio-weight', kind: 'string', valueName: 'uint16', description: 'Block IO (relative weight), between 10 and 1000' },
    { long: 'restart', kind: 'string', valueName: 'string', description: 'Restart policy to apply when a container exits' },
  ],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"update" requires at least 1 argument.');
    const body: Record<string, unknown> = {};
    const memory = flagString(args, 'memory');
    if (memory) body.Memory = bytesOf(memory);
    const swap = flagString(args, 'memory-swap');
    if (swap) body.MemorySwap = swap === '-1' ? -1 : bytesOf(swap);
    const cpus = flagString(args, 'cpus');
    if (cpus) body.NanoCpus = Math.round(Number(cpus) * 1e9);
    for (const [flag, key] of [['cpu-shares', 'CpuShares'], ['pids-limit', 'PidsLimit'], ['blkio-weight', 'BlkioWeight']] as const) {
      const v = flagInt(args, flag);
      if (v !== undefined) body[key] = v;
    }
    const cpuset = flagString(args, 'cpuset-cpus');
    if (cpuset) body.CpusetCpus = cpuset;
    const restart = flagString(args, 'restart');
    if (restart) {
      const [name, count] = restart.split(':');
      body.RestartPolicy = { Name: name, MaximumRetryCount: count ? Number(count) : 0 };
    }
    return { containers: args.positionals, body };
  },
  action: (o, ctx) =>
    forEachArgument(o.containers, ctx, async (c) => {
      await ctx.client.json('POST', `/containers/${pathName(c)}/update`, { body: o.body });
      ctx.stdout.write(`${c}\n`);
    }),
};
