import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { forEachArgument } from './for-each.js';

interface WaitOptions {
  containers: string[];
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

export const waitCommand: Command<WaitOptions> = {
  name: 'wait',
  usage: 'berth wait CONTAINER [CONTAINER...]',
  summary: 'Block until one or more containers stop, then print their exit codes',
  flags: [],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"wait" requires at least 1 argument.');
    return { containers: args.positionals };
  },
  action: (o, ctx) =>
    forEachArgument(o.containers, ctx, async (c) => {
      const res = await ctx.client.json<WaitResponse>('POST', `/containers/${pathName(c)}/wait`);
      if (res.Error?.Message) ctx.stderr.write(`${res.Error.Message}\n`);
      ctx.stdout.write(`${res.StatusCode}\n`);
    }),
};
