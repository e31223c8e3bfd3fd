import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';

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
    if (o.output === undefined && stdout.isTTY) throw new CliError('Cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    const params = new URLSearchParams();
    for (const name of o.images) params.append('names', name);
    const res = await client.stream('GET', `/images/get?${params.toString()}`);
    if (o.output === undefined) {
      for await (const chunk of res) stdout.write(chunk as Buffer);
    } else {
      const file = createWriteStream(o.output);
      res.pipe(file);
      await Promise.race([once(file, 'finish'), once(res, 'error').then(([err]) => Promise.reject(err as Error))]);
    }
    if (!res.complete) throw new CliError('the daemon cut the archive short', 1);
    return 0;
  },
};
