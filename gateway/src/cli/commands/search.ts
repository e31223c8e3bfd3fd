import { flagBool, flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { formatRows } from '../render/row-format.js';
import { ellipsis, renderTable } from '../render/table.js';

interface SearchOptions {
  term: string;
  limit?: number;
  filters: Record<string, string[]>;
  noTrunc: boolean;
  format?: string;
}

interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
}

/** `berth search`: Docker Hub's search when reachable, `_catalog` of private registries (the gateway decides). */
export const searchCommand: Command<SearchOptions> = {
  name: 'search',
  usage: 'berth search [OPTIONS] TERM',
  summary: 'Search registries for images',
  flags: [
    { long: 'filter', short: 'f', kind: 'list', valueName: 'filter', description: 'Filter output based on conditions provided (stars=N, is-official=true)' },
    { long: 'limit', kind: 'string', valueName: 'int', description: 'Max number of search results' },
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
    { long: 'format', kind: 'string', valueName: 'string', description: "Pretty-print search using a template ('{{.Name}}')" },
  ],
  minArgs: 1,
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"search" requires exactly 1 argument.');
    const limitText = flagString(args, 'limit');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`invalid argument "${limitText}" for "--limit" flag`);
    const filters: Record<string, string[]> = {};
    for (const f of flagList(args, 'filter')) {
      const at = f.indexOf('=');
      if (at <= 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
      (filters[f.slice(0, at)] ??= []).push(f.slice(at + 1));
    }
    const format = flagString(args, 'format');
    return { term: args.positionals[0]!, filters, noTrunc: flagBool(args, 'no-trunc'), ...(limit !== undefined && { limit }), ...(format !== undefined && { format }) };
  },
  async action(o, { client, stdout }) {
    const results = await client.json<SearchResult[]>('GET', '/images/search', {
      query: { term: o.term, limit: o.limit, filters: Object.keys(o.filters).length ? JSON.stringify(o.filters) : undefined },
    });
    const rows = results.map((r) => ({
      Name: r.name,
      Description: o.noTrunc ? r.description : ellipsis(r.description.replace(/\s+/g, ' '), 45),
      StarCount: String(r.star_count),
      IsOfficial: r.is_official ? '[OK]' : '',
    }));
    if (o.format) {
      stdout.write(formatRows(o.format, rows, { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL' }));
      return 0;
    }
    stdout.write(renderTable(['NAME', 'DESCRIPTION', 'STARS', 'OFFICIAL'], rows.map((r) => [r.Name, r.Description, r.StarCount, r.IsOfficial])));
    return 0;
  },
};
