import type { Command } from '../command.js';
import { flagBool, flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { copyContainerOutput } from '../render/output-demux.js';
import { parseSince } from '../since.js';

interface LogsOptions {
  container: string;
  follow: boolean;
  tail: string;
  timestamps: boolean;
  since?: string;
  until?: string;
}

export const logsCommand: Command<LogsOptions> = {
  name: 'logs',
  usage: 'berth logs [OPTIONS] CONTAINER',
  summary: 'Fetch the logs of a container',
  flags: [
    { long: 'follow', short: 'f', kind: 'bool', description: 'Follow log output' },
    { long: 'tail', short: 'n', kind: 'string', valueName: 'string', description: 'Number of lines to show from the end of the logs' },
    { long: 'timestamps', short: 't', kind: 'bool', description: 'Show timestamps' },
    { long: 'since', kind: 'string', valueName: 'string', description: 'Show logs since timestamp or relative (e.g. 42m)' },
    { long: 'until', kind: 'string', valueName: 'string', description: 'Show logs before a timestamp or relative' },
  ],
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"logs" requires exactly 1 argument.');
    const since = flagString(args, 'since');
    const until = flagString(args, 'until');
    return {
      container: args.positionals[0]!,
      follow: flagBool(args, 'follow'),
      tail: flagString(args, 'tail') ?? 'all',
      timestamps: flagBool(args, 'timestamps'),
      ...(since !== undefined && { since: parseSince(since) }),
      ...(until !== undefined && { until: parseSince(until) }),
    };
  },
  async action(o, { client, stdout, stderr }) {
    const id = pathName(o.container);
    const info = await client.json<{ Config?: { Tty?: boolean } }>('GET', `/containers/${id}/json`);
    const res = await client.stream('GET', `/containers/${id}/logs`, {
      query: { stdout: true, stderr: true, follow: o.follow, tail: o.tail, timestamps: o.timestamps, since: o.since, until: o.until },
    });
    await copyContainerOutput(res, info.Config?.Tty ?? false, stdout, stderr);
    return 0;
  },
};
