import { UsageError } from '../errors.js';
import type { Command } from '../command.js';
import { pullImage } from '../pull-image.js';
import { parseImageRef, referenceString } from '../../reference/image-reference.js';
import { withDefaultTag } from '@berth/registry/reference';

interface PullOptions {
  image: string;
  quiet: boolean;
  platform?: string;
}

export const pullCommand: Command<PullOptions> = {
  name: 'pull',
  usage: 'berth pull [OPTIONS] NAME[:TAG|@DIGEST]',
  summary: 'Download an image from a registry',
  flags: [
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' },
    { long: 'platform', kind: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable (os[/arch[/variant]])' },
  ],
  minArgs: 1,
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"pull" requires exactly 1 argument.');
    const platform = args.flags.get('platform');
    return { image: args.positionals[0]!, quiet: args.flags.get('quiet') === true, ...(typeof platform === 'string' && { platform }) };
  },
  async action({ image, quiet, platform }, ctx) {
    const sink = quiet ? { write: () => undefined, isTTY: false, columns: 80 } : ctx.stdout;
    await pullImage(ctx, image, sink, platform);
    ctx.stdout.write(`${referenceString(withDefaultTag(parseImageRef(image)))}\n`);
    return 0;
  },
};
