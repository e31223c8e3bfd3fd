import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { forEachArgument } from './for-each.js';

function verb(name: 'pause' | 'unpause', summary: string): Command<{ containers: string[] }> {
  return {
    name,
    usage: `berth ${name} CONTAINER [CONTAINER...]`,
    summary,
    flags: [],
    parse(args) {
      if (args.positionals.length === 0) throw new UsageError(`"${name}" requires at least 1 argument.`);
      return { containers: args.positionals };
    },
    action: (o, ctx) =>
      forEachArgument(o.containers, ctx, async (c) => {
        await ctx.client.call('POST', `/containers/${pathName(c)}/${name}`);
        ctx.stdout.write(`${c}\n`);
      }),
  };
}

export const pauseCommand = verb('pause', 'Pause all processes within one or more containers');
export const unpauseCommand = verb('unpause', 'Unpause all processes within one or more containers');
