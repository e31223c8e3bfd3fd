import type { Command } from '../command.js';
import { flagInt, flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { forEachArgument } from './for-each.js';

interface StopOptions {
  containers: string[];
  timeout?: number;
  signal?: string;
}

export const stopCommand: Command<StopOptions> = {
  name: 'stop',
  usage: 'berth stop [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Stop one or more running containers',
  flags: [
    { long: 'time', short: 't', kind: 'string', valueName: 'int', description: 'Seconds to wait before killing the container' },
    { long: 'timeout', kind: 'string', valueName: 'int', description: 'Same as --time' },
    { long: 'signal', short: 's', kind: 'string', valueName: 'string', description: 'Signal to send to the container' },
  ],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"stop" requires at least 1 argument.');
    const timeout = flagInt(args, 'time') ?? flagInt(args, 'timeout');
    const signal = flagString(args, 'signal');
    return { containers: args.positionals, ...(timeout !== undefined && { timeout }), ...(signal !== undefined && { signal }) };
  },
  action: (o, ctx) =>
    forEachArgument(o.containers, ctx, async (c) => {
      await ctx.client.call('POST', `/containers/${pathName(c)}/stop`, { query: { t: o.timeout, signal: o.signal } });
      ctx.stdout.write(`${c}\n`);
    }),
};
