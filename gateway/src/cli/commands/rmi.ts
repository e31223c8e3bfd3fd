import type { Command } from '../command.js';
import { pathName } from '../engine-client.js';
import { flagBool } from '../args.js';
import { UsageError } from '../errors.js';
import { forEachArgument } from './for-each.js';

interface RmiOptions {
  images: string[];
  force: boolean;
  noPrune: boolean;
}

export const rmiCommand: Command<RmiOptions> = {
  name: 'rmi',
  usage: 'berth rmi [OPTIONS] IMAGE [IMAGE...]',
  summary: 'Remove one or more images',
  flags: [
    { long: 'force', short: 'f', kind: 'bool', description: 'Force removal of the image' },
    { long: 'no-prune', kind: 'bool', description: 'Do not delete untagged parents' },
  ],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"rmi" requires at least 1 argument.');
    return { images: args.positionals, force: flagBool(args, 'force'), noPrune: flagBool(args, 'no-prune') };
  },
  action: (o, ctx) =>
    forEachArgument(o.images, ctx, async (image) => {
      const removed = await ctx.client.json<Array<{ Untagged?: string; Deleted?: string }>>('DELETE', `/images/${pathName(image)}`, {
        query: { force: o.force, noprune: o.noPrune },
      });
      for (const r of removed) ctx.stdout.write(r.Untagged ? `Untagged: ${r.Untagged}\n` : `Deleted: ${r.Deleted}\n`);
    }),
};
