import { humanSize } from '../../format/human-size.js';
import { flagBool, flagList } from '../args.js';
import type { AnyCommand, Command } from '../command.js';
import { historyCommand } from './history.js';
import { loadCommand } from './load.js';
import { saveCommand } from './save.js';

interface PruneOptions {
  all: boolean;
  force: boolean;
  filters: string[];
}

/** Reads one line from standard input: the answer to a y/N question (none: no). */
async function readAnswer(stdin: NodeJS.ReadableStream | undefined): Promise<string> {
  let line = '';
  if (!stdin) return line;
  for await (const chunk of stdin) {
    line += chunk.toString();
    if (line.includes('\n')) break;
  }
  return line.split('\n')[0]!.trim();
}

/** `berth image prune`: dangling images, or with -a every image no container uses. */
export const imagePruneCommand: Command<PruneOptions> = {
  name: 'prune',
  usage: 'berth image prune [OPTIONS]',
  summary: 'Remove unused images',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
    { long: 'filter', kind: 'list', valueName: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
  ],
  parse: (args) => ({ all: flagBool(args, 'all'), force: flagBool(args, 'force'), filters: flagList(args, 'filter') }),
  async action(o, { client, stdout, stdin }) {
    if (!o.force) {
      stdout.write(o.all ? 'WARNING! This will remove all images without at least one container associated to them.\n' : 'WARNING! This will remove all dangling images.\n');
      stdout.write('Are you sure you want to continue? [y/N] ');
      if (!/^y(es)?$/i.test(await readAnswer(stdin))) return 0;
    }
    const filters: Record<string, string[]> = { dangling: [o.all ? 'false' : 'true'] };
    for (const f of o.filters) {
      const eq = f.indexOf('=');
      (filters[eq < 0 ? f : f.slice(0, eq)] ??= []).push(eq < 0 ? '' : f.slice(eq + 1));
    }
    const res = await client.json<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>('POST', '/images/prune', {
      query: { filters: JSON.stringify(filters) },
    });
    if (res.ImagesDeleted && res.ImagesDeleted.length > 0) {
      stdout.write('Deleted Images:\n');
      for (const d of res.ImagesDeleted) stdout.write(d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`);
      stdout.write('\n');
    }
    stdout.write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed, 3)}\n`);
    return 0;
  },
};

/** The verbs of `berth image` that have no top-level twin, and those that do (as Docker has both). */
export const IMAGE_VERBS: readonly AnyCommand[] = [imagePruneCommand, historyCommand, saveCommand, loadCommand];
