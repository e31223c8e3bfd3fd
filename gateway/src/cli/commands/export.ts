import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { pathName } from '../engine-client.js';
import { CliError, UsageError } from '../errors.js';

interface ExportOptions {
  container: string;
  output?: string;
}

export const exportCommand: Command<ExportOptions> = {
  name: 'export',
  usage: 'berth export [OPTIONS] CONTAINER',
  summary: "Export a container's filesystem as a tar archive",
  flags: [{ long: 'output', short: 'o', kind: 'string', valueName: 'string', description: 'Write to a file, instead of STDOUT' }],
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"export" requires exactly 1 argument.');
    const output = flagString(args, 'output');
    return { container: args.positionals[0]!, ...(output !== undefined && { output }) };
  },
  async action(o, { client, stdout }) {
    if (o.output === undefined && stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
    const res = await client.stream('GET', `/containers/${pathName(o.container)}/export`);
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
