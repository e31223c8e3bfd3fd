import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { renderTable } from '../render/table.js';

export const topCommand: Command<{ container: string; psArgs: string }> = {
  name: 'top',
  usage: 'berth top CONTAINER [ps OPTIONS]',
  summary: 'Display the running processes of a container',
  interspersed: false,
  flags: [],
  parse(args) {
    const [container, ...ps] = args.positionals;
    if (!container) throw new UsageError('"top" requires at least 1 argument.');
    return { container, psArgs: ps.join(' ') };
  },
  async action(o, { client, stdout }) {
    const top = await client.json<{ Titles: string[]; Processes: string[][] }>('GET', `/containers/${pathName(o.container)}/top`, {
      query: { ps_args: o.psArgs || undefined },
    });
    stdout.write(renderTable(top.Titles, top.Processes));
    return 0;
  },
};
