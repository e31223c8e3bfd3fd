import { familiarName } from '@berth/registry/reference';
import { flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { parseImageRef } from '../../reference/image-reference.js';

interface CommitOptions {
  container: string;
  repo?: string;
  tag?: string;
  author?: string;
  message?: string;
  changes: string[];
  pause: boolean;
}

export const commitCommand: Command<CommitOptions> = {
  name: 'commit',
  usage: 'berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  summary: "Create a new image from a container's changes",
  flags: [
    { long: 'author', short: 'a', kind: 'string', valueName: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { long: 'change', short: 'c', kind: 'list', valueName: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { long: 'message', short: 'm', kind: 'string', valueName: 'string', description: 'Commit message' },
    { long: 'pause', short: 'p', kind: 'bool', description: 'Pause container during commit (default true)' },
  ],
  parse(args) {
    const [container, target, ...extra] = args.positionals;
    if (container === undefined || extra.length > 0) throw new UsageError('"commit" requires at least 1 and at most 2 arguments.');
    const o: CommitOptions = { container, changes: flagList(args, 'change'), pause: args.flags.get('pause') !== false };
    const author = flagString(args, 'author');
    const message = flagString(args, 'message');
    if (author !== undefined) o.author = author;
    if (message !== undefined) o.message = message;
    if (target !== undefined) {
      const ref = parseImageRef(target);
      if (ref.digest) throw new UsageError('refusing to create a tag with a digest reference');
      o.repo = familiarName(ref);
      o.tag = ref.tag ?? 'latest';
    }
    return o;
  },
  async action(o, { client, stdout }) {
    const res = await client.json<{ Id: string }>('POST', '/commit', {
      query: {
        container: o.container,
        repo: o.repo,
        tag: o.tag,
        author: o.author,
        comment: o.message,
        pause: o.pause,
        // One parameter, one instruction per line (the gateway splits them).
        changes: o.changes.length > 0 ? o.changes.join('\n') : undefined,
      },
    });
    stdout.write(`${res.Id}\n`);
    return 0;
  },
};
