import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';

const KIND = ['C', 'A', 'D'];

export const diffCommand: Command<{ container: string }> = {
  name: 'diff',
  usage: 'berth diff CONTAINER',
  summary: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"diff" requires exactly 1 argument.');
    return { container: args.positionals[0]! };
  },
  async action(o, { client, stdout }) {
    const changes = await client.json<Array<{ Path: string; Kind: number }> | null>('GET', `/containers/${pathName(o.container)}/changes`);
    for (const c of changes ?? []) stdout.write(`${KIND[c.Kind] ?? '?'} ${c.Path}\n`);
    return 0;
  },
};
