import type { Command } from '../command.js';
import { flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { forEachArgument } from './for-each.js';

interface KillOptions {
  containers: string[];
  signal?: string;
}

export const killCommand: Command<KillOptions> = {
  name: 'kill',
  usage: 'berth kill [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Kill one or more running containers',
  flags: [{ long: 'signal', short: 's', kind: 'string', valueName: 'string', description: 'Signal to send to the container' }],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"kill" requires at least 1 argument.');
    const signal = flagString(args, 'signal');
    return { containers: args.positionals, ...(signal !== undefined && { signal }) };
  },
  action: (o, ctx) =>
    forEachArgument(o.containers, ctx, async (c) => {
      await ctx.client.call('POST', `/containers/${pathName(c)}/kill`, { query: { signal: o.signal } });
      ctx.stdout.write(`${c}\n`);
    }),
};
