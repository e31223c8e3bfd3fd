import { UsageError } from '../errors.js';
import type { Command } from '../command.js';
import { pathName } from '../engine-client.js';
import { parseImageRef } from '../../reference/image-reference.js';
import { familiarName } from '@berth/registry/reference';

interface TagOptions {
  source: string;
  target: string;
}

export const tagCommand: Command<TagOptions> = {
  name: 'tag',
  usage: 'berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: [],
  parse(args) {
    if (args.positionals.length !== 2) throw new UsageError('"tag" requires exactly 2 arguments.');
    return { source: args.positionals[0]!, target: args.positionals[1]! };
  },
  async action({ source, target }, { client }) {
    const ref = parseImageRef(target);
    if (ref.digest) throw new UsageError('refusing to create a tag with a digest reference');
    await client.call('POST', `/images/${pathName(source)}/tag`, { query: { repo: familiarName(ref), tag: ref.tag ?? 'latest' } });
    return 0;
  },
};
