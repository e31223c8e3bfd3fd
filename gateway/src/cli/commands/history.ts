import { humanAgo } from '../../format/human-duration.js';
import { humanSize } from '../../format/human-size.js';
import { flagBool } from '../args.js';
import type { Command } from '../command.js';
import { pathName } from '../engine-client.js';
import { UsageError } from '../errors.js';
import { ellipsis, renderTable, shortId } from '../render/table.js';

interface HistoryOptions {
  image: string;
  noTrunc: boolean;
  quiet: boolean;
  human: boolean;
}

interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Size: number;
  Comment: string;
}

export const historyCommand: Command<HistoryOptions> = {
  name: 'history',
  usage: 'berth history [OPTIONS] IMAGE',
  summary: 'Show the history of an image',
  flags: [
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only show image IDs' },
    { long: 'human', short: 'H', kind: 'bool', description: 'Print sizes and dates in human readable format (default true)' },
  ],
  minArgs: 1,
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"history" requires exactly 1 argument.');
    return { image: args.positionals[0]!, noTrunc: flagBool(args, 'no-trunc'), quiet: flagBool(args, 'quiet'), human: args.flags.get('human') !== false };
  },
  async action(o, { client, stdout }) {
    const items = await client.json<HistoryItem[]>('GET', `/images/${pathName(o.image)}/history`);
    const id = (raw: string) => (raw === '<missing>' || o.noTrunc ? raw : shortId(raw));
    if (o.quiet) {
      stdout.write(items.map((i) => `${id(i.Id)}\n`).join(''));
      return 0;
    }
    const now = new Date();
    const rows = items.map((i) => [
      id(i.Id),
      o.human ? humanAgo(new Date(i.Created * 1000), now) : new Date(i.Created * 1000).toISOString(),
      o.noTrunc ? i.CreatedBy : ellipsis(i.CreatedBy.replace(/\s+/g, ' '), 45),
      o.human ? humanSize(i.Size, 3) : String(i.Size),
      i.Comment,
    ]);
    stdout.write(renderTable(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], rows));
    return 0;
  },
};
