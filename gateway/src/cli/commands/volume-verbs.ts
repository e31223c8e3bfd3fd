import type { Command } from '../command.js';
import { flagBool, flagList, flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { encodeFilters } from '../../server/docker-shapes/filters.js';
import { renderTable } from '../render/table.js';
import { forEachArgument } from './for-each.js';

interface VolumeJson {
  Name: string;
  Driver: string;
  Mountpoint: string;
}

const keyValues = (list: string[]): Record<string, string> =>
  Object.fromEntries(list.map((kv) => [kv.split('=', 1)[0]!, kv.includes('=') ? kv.slice(kv.indexOf('=') + 1) : '']));

/** "k=v" filter flags → the query's JSON map. */
const filters = (list: string[]) => (list.length ? encodeFilters(Object.fromEntries(Object.entries(
  list.reduce<Record<string, string[]>>((acc, f) => {
    const [k, v = ''] = [f.slice(0, f.indexOf('=') < 0 ? f.length : f.indexOf('=')), f.includes('=') ? f.slice(f.indexOf('=') + 1) : ''];
    (acc[k] ??= []).push(v);
    return acc;
  }, {}),
))) : undefined);

export const volumeCreate: Command<{ name: string; driver?: string; labels: string[]; opts: string[] }> = {
  name: 'create',
  usage: 'berth volume create [OPTIONS] [VOLUME]',
  summary: 'Create a volume',
  flags: [
    { long: 'driver', short: 'd', kind: 'string', valueName: 'string', description: 'Specify volume driver name (default "local")' },
    { long: 'label', kind: 'list', valueName: 'list', description: 'Set metadata for a volume' },
    { long: 'opt', short: 'o', kind: 'list', valueName: 'map', description: 'Set driver specific options' },
  ],
  parse: (args) => {
    const driver = flagString(args, 'driver');
    return { name: args.positionals[0] ?? '', labels: flagList(args, 'label'), opts: flagList(args, 'opt'), ...(driver !== undefined && { driver }) };
  },
  async action(o, { client, stdout }) {
    const v = await client.json<VolumeJson>('POST', '/volumes/create', {
      body: { Name: o.name, Driver: o.driver ?? 'local', Labels: keyValues(o.labels), DriverOpts: keyValues(o.opts) },
    });
    stdout.write(`${v.Name}\n`);
    return 0;
  },
};

export const volumeLs: Command<{ quiet: boolean; filters: string[] }> = {
  name: 'ls',
  usage: 'berth volume ls [OPTIONS]',
  summary: 'List volumes',
  flags: [
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only display volume names' },
    { long: 'filter', short: 'f', kind: 'list', valueName: 'filter', description: "Provide filter values (e.g. 'dangling=true')" },
  ],
  parse: (args) => ({ quiet: flagBool(args, 'quiet'), filters: flagList(args, 'filter') }),
  async action(o, { client, stdout }) {
    const r = await client.json<{ Volumes: VolumeJson[] }>('GET', '/volumes', { query: { filters: filters(o.filters) } });
    if (o.quiet) stdout.write(r.Volumes.map((v) => `${v.Name}\n`).join(''));
    else stdout.write(renderTable(['DRIVER', 'VOLUME NAME'], r.Volumes.map((v) => [v.Driver, v.Name])));
    return 0;
  },
};

export const volumeInspect: Command<{ names: string[] }> = {
  name: 'inspect',
  usage: 'berth volume inspect VOLUME [VOLUME...]',
  summary: 'Display detailed information on one or more volumes',
  flags: [],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"volume inspect" requires at least 1 argument.');
    return { names: args.positionals };
  },
  async action(o, { client, stdout }) {
    const out = [];
    for (const n of o.names) out.push(await client.json('GET', `/volumes/${pathName(n)}`));
    stdout.write(`${JSON.stringify(out, null, 4)}\n`);
    return 0;
  },
};

export const volumeRm: Command<{ names: string[]; force: boolean }> = {
  name: 'rm',
  usage: 'berth volume rm [OPTIONS] VOLUME [VOLUME...]',
  summary: 'Remove one or more volumes',
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Force the removal of one or more volumes' }],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"volume rm" requires at least 1 argument.');
    return { names: args.positionals, force: flagBool(args, 'force') };
  },
  action: (o, ctx) =>
    forEachArgument(o.names, ctx, async (n) => {
      await ctx.client.call('DELETE', `/volumes/${pathName(n)}`, { query: { force: o.force ? '1' : undefined } });
      ctx.stdout.write(`${n}\n`);
    }),
};

export const volumePrune: Command<{ all: boolean; filters: string[] }> = {
  name: 'prune',
  usage: 'berth volume prune [OPTIONS]',
  summary: 'Remove unused local volumes (anonymous ones; all with --all)',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    { long: 'filter', kind: 'list', valueName: 'filter', description: "Provide filter values (e.g. 'label=<label>')" },
  ],
  parse: (args) => ({ all: flagBool(args, 'all'), filters: flagList(args, 'filter') }),
  async action(o, { client, stdout }) {
    const f = [...o.filters, ...(o.all ? ['all=true'] : [])];
    const r = await client.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', { query: { filters: filters(f) } });
    const deleted = r.VolumesDeleted ?? [];
    if (deleted.length) stdout.write(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    stdout.write(`Total reclaimed space: ${r.SpaceReclaimed}B\n`);
    return 0;
  },
};

export const VOLUME_VERBS = [volumeCreate, volumeLs, volumeInspect, volumeRm, volumePrune];
