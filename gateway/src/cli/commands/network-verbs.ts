import type { Command } from '../command.js';
import { flagBool, flagList, flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { encodeFilters } from '../../server/docker-shapes/filters.js';
import { renderTable, shortId } from '../render/table.js';
import { formatRows } from '../render/row-format.js';
import { forEachArgument } from './for-each.js';

interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Internal?: boolean;
  Created?: string;
  Labels?: Record<string, string> | null;
}

const need = (verb: string, args: string[], n: number, exact = false): void => {
  if (args.length < n || (exact && args.length !== n)) {
    throw new UsageError(`"network ${verb}" requires ${exact ? 'exactly' : 'at least'} ${n} argument${n > 1 ? 's' : ''}.`);
  }
};

/** "k=v" list → object (labels, driver options). */
const keyValues = (list: string[]): Record<string, string> =>
  Object.fromEntries(list.map((kv) => [kv.split('=', 1)[0]!, kv.includes('=') ? kv.slice(kv.indexOf('=') + 1) : '']));

export const networkCreate: Command<{ name: string; body: Record<string, unknown> }> = {
  name: 'create',
  usage: 'berth network create [OPTIONS] NETWORK',
  summary: 'Create a network',
  flags: [
    { long: 'driver', short: 'd', kind: 'string', valueName: 'string', description: 'Driver to manage the Network (default "bridge")' },
    { long: 'subnet', kind: 'list', valueName: 'strings', description: 'Subnet in CIDR format that represents a network segment' },
    { long: 'gateway', kind: 'list', valueName: 'strings', description: 'IPv4 Gateway for the master subnet' },
    { long: 'ip-range', kind: 'list', valueName: 'strings', description: 'Allocate container ip from a sub-range' },
    { long: 'internal', kind: 'bool', description: 'Restrict external access to the network' },
    { long: 'label', kind: 'list', valueName: 'list', description: 'Set metadata on a network' },
    { long: 'opt', short: 'o', kind: 'list', valueName: 'map', description: 'Set driver specific options' },
  ],
  parse(args) {
    need('create', args.positionals, 1, true);
    const subnets = flagList(args, 'subnet');
    const gateways = flagList(args, 'gateway');
    const ranges = flagList(args, 'ip-range');
    if (gateways.length > subnets.length || ranges.length > subnets.length) throw new UsageError('every ip-range or gateway must have a corresponding subnet');
    return {
      name: args.positionals[0]!,
      body: {
        Name: args.positionals[0],
        Driver: flagString(args, 'driver') ?? 'bridge',
        Internal: flagBool(args, 'internal'),
        IPAM: { Driver: 'default', Config: subnets.map((s, i) => ({ Subnet: s, Gateway: gateways[i] ?? '', IPRange: ranges[i] ?? '' })) },
        Options: keyValues(flagList(args, 'opt')),
        Labels: keyValues(flagList(args, 'label')),
      },
    };
  },
  async action(o, { client, stdout }) {
    const r = await client.json<{ Id: string }>('POST', '/networks/create', { body: o.body });
    stdout.write(`${r.Id}\n`);
    return 0;
  },
};

export const networkLs: Command<{ quiet: boolean; noTrunc: boolean; filters: string[]; format?: string }> = {
  name: 'ls',
  usage: 'berth network ls [OPTIONS]',
  summary: 'List networks',
  flags: [
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only display network IDs' },
    { long: 'no-trunc', kind: 'bool', description: 'Do not truncate the output' },
    { long: 'filter', short: 'f', kind: 'list', valueName: 'filter', description: "Provide filter values (e.g. 'driver=bridge')" },
    { long: 'format', kind: 'string', valueName: 'string', description: "Format output using a template ('{{.ID}} {{.Name}}')" },
  ],
  parse: (args) => {
    const format = flagString(args, 'format');
    return { quiet: flagBool(args, 'quiet'), noTrunc: flagBool(args, 'no-trunc'), filters: flagList(args, 'filter'), ...(format !== undefined && { format }) };
  },
  async action(o, { client, stdout }) {
    const filters: Record<string, string[]> = {};
    for (const f of o.filters) {
      const i = f.indexOf('=');
      if (i < 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
      (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
    }
    const list = await client.json<NetworkSummary[]>('GET', '/networks', { query: { filters: o.filters.length ? encodeFilters(filters) : undefined } });
    list.sort((a, b) => a.Name.localeCompare(b.Name));
    const id = (n: NetworkSummary) => (o.noTrunc ? n.Id : shortId(n.Id));
    if (o.quiet) {
      stdout.write(list.map((n) => `${id(n)}\n`).join(''));
      return 0;
    }
    const rows = list.map((n) => ({ ID: id(n), Name: n.Name, Driver: n.Driver, Scope: n.Scope, Internal: String(n.Internal ?? false), CreatedAt: n.Created ?? '' }));
    if (o.format) {
      stdout.write(formatRows(o.format, rows, { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', Internal: 'INTERNAL', CreatedAt: 'CREATED AT' }));
      return 0;
    }
    stdout.write(renderTable(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], rows.map((r) => [r.ID, r.Name, r.Driver, r.Scope])));
    return 0;
  },
};

export const networkInspect: Command<{ names: string[] }> = {
  name: 'inspect',
  usage: 'berth network inspect NETWORK [NETWORK...]',
  summary: 'Display detailed information on one or more networks',
  flags: [],
  parse: (args) => (need('inspect', args.positionals, 1), { names: args.positionals }),
  async action(o, ctx) {
    const found: unknown[] = [];
    const status = await forEachArgument(o.names, ctx, async (n) => void found.push(await ctx.client.json('GET', `/networks/${pathName(n)}`)));
    ctx.stdout.write(JSON.stringify(found, null, 4) + '\n');
    return status;
  },
};

export const networkRm: Command<{ names: string[] }> = {
  name: 'rm',
  usage: 'berth network rm NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  flags: [],
  parse: (args) => (need('rm', args.positionals, 1), { names: args.positionals }),
  action: (o, ctx) =>
    forEachArgument(o.names, ctx, async (n) => {
      await ctx.client.call('DELETE', `/networks/${pathName(n)}`);
      ctx.stdout.write(`${n}\n`);
    }),
};

export const networkPrune: Command<{ filters: string[] }> = {
  name: 'prune',
  usage: 'berth network prune [OPTIONS]',
  summary: 'Remove all unused networks (no confirmation is asked)',
  flags: [
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation (berth never prompts)' },
    { long: 'filter', kind: 'list', valueName: 'filter', description: "Provide filter values (e.g. 'until=<timestamp>')" },
  ],
  parse: (args) => ({ filters: flagList(args, 'filter') }),
  async action(o, { client, stdout }) {
    const filters: Record<string, string[]> = {};
    for (const f of o.filters) (filters[f.split('=', 1)[0]!] ??= []).push(f.slice(f.indexOf('=') + 1));
    const r = await client.json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', {
      query: { filters: o.filters.length ? encodeFilters(filters) : undefined },
    });
    const deleted = r.NetworksDeleted ?? [];
    if (deleted.length) stdout.write(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}`);
    return 0;
  },
};

export const networkConnect: Command<{ network: string; container: string; aliases: string[]; ip?: string }> = {
  name: 'connect',
  usage: 'berth network connect [OPTIONS] NETWORK CONTAINER',
  summary: 'Connect a container to a network',
  flags: [
    { long: 'alias', kind: 'list', valueName: 'strings', description: 'Add network-scoped alias for the container' },
    { long: 'ip', kind: 'string', valueName: 'string', description: 'IPv4 address (e.g., "172.30.100.104")' },
  ],
  parse(args) {
    need('connect', args.positionals, 2, true);
    const ip = flagString(args, 'ip');
    return { network: args.positionals[0]!, container: args.positionals[1]!, aliases: flagList(args, 'alias'), ...(ip !== undefined && { ip }) };
  },
  async action(o, { client }) {
    await client.call('POST', `/networks/${pathName(o.network)}/connect`, {
      body: { Container: o.container, EndpointConfig: { Aliases: o.aliases, IPAMConfig: o.ip ? { IPv4Address: o.ip } : null } },
    });
    return 0;
  },
};

export const networkDisconnect: Command<{ network: string; container: string; force: boolean }> = {
  name: 'disconnect',
  usage: 'berth network disconnect [OPTIONS] NETWORK CONTAINER',
  summary: 'Disconnect a container from a network',
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Force the container to disconnect from a network' }],
  parse(args) {
    need('disconnect', args.positionals, 2, true);
    return { network: args.positionals[0]!, container: args.positionals[1]!, force: flagBool(args, 'force') };
  },
  async action(o, { client }) {
    await client.call('POST', `/networks/${pathName(o.network)}/disconnect`, { body: { Container: o.container, Force: o.force } });
    return 0;
  },
};

export const NETWORK_VERBS = [networkConnect, networkCreate, networkDisconnect, networkInspect, networkLs, networkPrune, networkRm] as const;
