import { humanAgo } from '../../format/human-duration.js';
import type { Command } from '../command.js';
import { flagBool, flagInt } from '../args.js';
import { ellipsis, renderTable, shortId } from '../render/table.js';
import { formatRows, type Row } from '../render/row-format.js';
import { flagString } from '../args.js';

interface PsOptions {
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
  last?: number;
  format?: string;
}

interface DockerPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State?: string;
  Status: string;
  Ports: DockerPort[] | null;
  Labels?: Record<string, string> | null;
}

const HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Status: 'STATUS', State: 'STATE', Ports: 'PORTS', Names: 'NAMES', Labels: 'LABELS',
};

/** The fields `--format` can name, as docker ps calls them. */
export function psRow(c: ContainerSummary, noTrunc: boolean, now = new Date()): Row {
  const created = new Date(c.Created * 1000);
  return {
    ID: noTrunc ? c.Id : shortId(c.Id),
    Image: c.Image,
    Command: JSON.stringify(noTrunc ? c.Command : ellipsis(c.Command, 20)),
    CreatedAt: created.toISOString(),
    RunningFor: humanAgo(created, now),
    Status: c.Status,
    State: c.State ?? '',
    Ports: formatPorts(c.Ports),
    Names: c.Names.map((n) => n.replace(/^\//, '')).join(','),
    Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
  };
}

/** "0.0.0.0:8080->80/tcp, 443/tcp". */
export function formatPorts(ports: DockerPort[] | null): string {
  return (ports ?? [])
    .map((p) => (p.PublicPort ? `${p.IP ?? '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`))
    .join(', ');
}

export function psRows(list: ContainerSummary[], noTrunc: boolean, now = new Date()): string[][] {
  return list.map((c) => {
    const r = psRow(c, noTrunc, now);
    return [r.ID!, r.Image!, r.Command!, r.RunningFor!, r.Status!, r.Ports!, r.Names!];
  });
}

export const psCommand: Command<PsOptions> = {
  name: 'ps',
  usage: 'berth ps [OPTIONS]',
  summary: 'List containers',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Show all containers (default shows just running)' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only display container IDs' },
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
    { long: 'last', short: 'n', kind: 'string', valueName: 'int', description: 'Show n last created containers' },
    { long: 'format', kind: 'string', valueName: 'string', description: "Format output using a template ('{{.Names}} {{.Status}}', 'table …')" },
  ],
  parse(args) {
    const last = flagInt(args, 'last');
    const format = flagString(args, 'format');
    return {
      all: flagBool(args, 'all'),
      quiet: flagBool(args, 'quiet'),
      noTrunc: flagBool(args, 'no-trunc'),
      ...(last !== undefined && { last }),
      ...(format !== undefined && { format }),
    };
  },
  async action(o, { client, stdout }) {
    const list = await client.json<ContainerSummary[]>('GET', '/containers/json', {
      query: { all: o.all || o.last !== undefined, limit: o.last },
    });
    if (o.quiet) {
      stdout.write(list.map((c) => (o.noTrunc ? c.Id : shortId(c.Id)) + '\n').join(''));
      return 0;
    }
    if (o.format) {
      stdout.write(formatRows(o.format, list.map((c) => psRow(c, o.noTrunc)), HEADERS));
      return 0;
    }
    stdout.write(renderTable(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], psRows(list, o.noTrunc)));
    return 0;
  },
};
