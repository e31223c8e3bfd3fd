import type { Command } from '../command.js';
import { flagBool } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { forEachArgument } from './for-each.js';

interface RmOptions {
  containers: string[];
  force: boolean;
  volumes: boolean;
}

export const rmCommand: Command<RmOptions> = {
  name: 'rm',
  usage: 'berth rm [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Remove one or more containers',
  flags: [
    { long: 'force', short: 'f', kind: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    { long: 'volumes', short: 'v', kind: 'bool', description: 'Remove anonymous volumes associated with the container' },
  ],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"rm" requires at least 1 argument.');
    return { containers: args.positionals, force: flagBool(args, 'force'), volumes: flagBool(args, 'volumes') };
  },
  action: (o, ctx) =>
    forEachArgument(o.containers, ctx, async (c) => {
      await ctx.client.call('DELETE', `/containers/${pathName(c)}`, { query: { force: o.force, v: o.volumes } });
      ctx.stdout.write(`${c}\n`);
    }),
};
