import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { forEachArgument } from './for-each.js';

interface StartOptions {
  containers: string[];
}

export const startCommand: Command<StartOptions> = {
  name: 'start',
  usage: 'berth start CONTAINER [CONTAINER...]',
  summary: 'Start one or more stopped containers',
  flags: [],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"start" requires at least 1 argument.');
    return { containers: args.positionals };
  },
  action: (o, ctx) =>
    forEachArgument(o.containers, ctx, async (c) => {
      await ctx.client.call('POST', `/containers/${pathName(c)}/start`);
      ctx.stdout.write(`${c}\n`);
    }),
};
