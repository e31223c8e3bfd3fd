import { UsageError } from '../errors.js';
import type { Command } from '../command.js';
import { pullImage } from '../pull-image.js';
import { parseImageRef, referenceString } from '../../reference/image-reference.js';
import { withDefaultTag } from '@berth/registry/reference';

interface PullOptions {
  image: string;
  quiet: boolean;
}

export const pullCommand: Command<PullOptions> = {
  name: 'pull',
  usage: 'berth pull [OPTIONS] NAME[:TAG|@DIGEST]',
  summary: 'Download an image from a registry',
  flags: [{ long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' }],
  minArgs: 1,
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"pull" requires exactly 1 argument.');
    return { image: args.positionals[0]!, quiet: args.flags.get('quiet') === true };
  },
  async action({ image, quiet }, ctx) {
    const sink = quiet ? { write: () => undefined, isTTY: false, columns: 80 } : ctx.stdout;
    await pullImage(ctx, image, sink);
    ctx.stdout.write(`${referenceString(withDefaultTag(parseImageRef(image)))}\n`);
    return 0;
  },
};
