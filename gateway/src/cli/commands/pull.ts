import { UsageError } from '../errors.js';
import type { Command } from '../command.js';
import { pullImage } from '../pull-image.js';
import { parseImageRef, referenceString } from '../../reference/image-reference.js';
import { withDefaultTag } from '@berth/registry/reference';

interface PullOptions {
  image: string;
  quiet: boolean;
  platform?: string;
  allPlatforms: boolean;
}

export const pullCommand: Command<PullOptions> = {
  name: 'pull',
  usage: 'berth pull [OPTIONS] NAME[:TAG|@DIGEST]',
  summary: 'Download an image from a registry',
  flags: [
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' },
    { long: 'platform', kind: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable (os[/arch[/variant]])' },
    { long: 'all-platforms', kind: 'bool', description: 'Also download the layers of every other platform of a multi-platform image (not unpacked), so it can be pushed whole' },
  ],
  minArgs: 1,
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"pull" requires exactly 1 argument.');
    const platform = args.flags.get('platform');
    const allPlatforms = args.flags.get('all-platforms') === true;
    if (allPlatforms && typeof platform === 'string') throw new UsageError('--platform and --all-platforms cannot be used together');
    return { image: args.positionals[0]!, quiet: args.flags.get('quiet') === true, allPlatforms, ...(typeof platform === 'string' && { platform }) };
  },
  async action({ image, quiet, platform, allPlatforms }, ctx) {
    const sink = quiet ? { write: () => undefined, isTTY: false, columns: 80 } : ctx.stdout;
    await pullImage(ctx, image, sink, { ...(platform !== undefined && { platform }), allPlatforms });
    ctx.stdout.write(`${referenceString(withDefaultTag(parseImageRef(image)))}\n`);
    return 0;
  },
};
