import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { refuseTerminal, writeArchive } from '../render/archive-output.js';
import { UsageError } from '../errors.js';

interface SaveOptions {
  images: string[];
  output?: string;
}

export const saveCommand: Command<SaveOptions> = {
  name: 'save',
  usage: 'berth save [OPTIONS] IMAGE [IMAGE...]',
  summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  flags: [{ long: 'output', short: 'o', kind: 'string', valueName: 'string', description: 'Write to a file, instead of STDOUT' }],
  minArgs: 1,
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"save" requires at least 1 argument.');
    const output = flagString(args, 'output');
    return { images: args.positionals, ...(output !== undefined && { output }) };
  },
  async action(o, { client, stdout }) {
    refuseTerminal(o.output, stdout);
    const params = new URLSearchParams();
    for (const name of o.images) params.append('names', name);
    const res = await client.stream('GET', `/images/get?${params.toString()}`);
    await writeArchive(res, o.output, stdout);
    return 0;
  },
};
