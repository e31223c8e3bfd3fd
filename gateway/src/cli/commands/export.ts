import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { refuseTerminal, writeArchive } from '../render/archive-output.js';
import { pathName } from '../engine-client.js';
import { UsageError } from '../errors.js';

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
    refuseTerminal(o.output, stdout);
    const res = await client.stream('GET', `/containers/${pathName(o.container)}/export`);
    await writeArchive(res, o.output, stdout);
    return 0;
  },
};
