import type { Command } from '../command.js';
import { flagList, flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { jsonLines } from '../render/json-lines.js';
import { parseSince } from '../since.js';

interface EventsOptions {
  since?: string;
  until?: string;
  filters: Record<string, string[]>;
  format?: string;
}

export interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: string;
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

/** Go's field names in `--format` templates → the JSON fields of an event. */
const GO_FIELDS: Record<string, string> = { Status: 'status', ID: 'id', From: 'from', Scope: 'scope', Time: 'time', TimeNano: 'timeNano' };

/** `2024-01-02T03:04:05.123456789Z`: Docker's RFC3339NanoFixed, in UTC. */
export function eventTimestamp(ev: EventMessage): string {
  const ns = BigInt(Math.round(ev.timeNano || ev.time * 1e9));
  const sec = ns / 1_000_000_000n;
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  return new Date(Number(sec) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

/** Docker's default line: `<time> <type> <action> <id> (k=v, …)`, attributes sorted by key. */
export function prettyEvent(ev: EventMessage): string {
  const attrs = Object.keys(ev.Actor.Attributes ?? {}).sort().map((k) => `${k}=${ev.Actor.Attributes[k]}`);
  return `${eventTimestamp(ev)} ${ev.Type} ${ev.Action} ${ev.Actor.ID}${attrs.length ? ` (${attrs.join(', ')})` : ''}\n`;
}

/** `{{.Type}} {{.Actor.Attributes.name}} {{json .}}`: placeholders with dotted paths; `json` for the whole event. */
export function formatEvent(format: string, ev: EventMessage): string {
  if (format === 'json') return JSON.stringify(ev) + '\n';
  const text = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return (
    text.replace(/\{\{\s*(json\s+)?\.([A-Za-z0-9_.]*)\s*\}\}/g, (_, json: string | undefined, path: string) => {
      let value: unknown = ev;
      for (const part of path.split('.').filter(Boolean)) {
        value = (value as Record<string, unknown> | undefined)?.[GO_FIELDS[part] ?? part];
      }
      if (json || (value !== null && typeof value === 'object')) return JSON.stringify(value ?? null);
      return value === undefined ? '<no value>' : String(value);
    }) + '\n'
  );
}

export const eventsCommand: Command<EventsOptions> = {
  name: 'events',
  usage: 'berth events [OPTIONS]',
  summary: 'Get real time events from the server',
  flags: [
    { long: 'filter', short: 'f', kind: 'list', valueName: 'filter', description: 'Filter output based on conditions provided (type=container, event=start, container=NAME, image, network, label=k=v, daemon)' },
    { long: 'format', kind: 'string', valueName: 'string', description: "Format output using a template ('{{.Type}} {{.Action}}') or 'json'" },
    { long: 'since', kind: 'string', valueName: 'string', description: 'Show all events created since timestamp (unix, RFC 3339, or relative: 10m)' },
    { long: 'until', kind: 'string', valueName: 'string', description: 'Stream events until this timestamp' },
  ],
  parse(args) {
    if (args.positionals.length) throw new UsageError('"events" accepts no arguments.');
    const filters: Record<string, string[]> = {};
    for (const f of flagList(args, 'filter')) {
      const i = f.indexOf('=');
      if (i <= 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
      (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
    }
    const since = flagString(args, 'since');
    const until = flagString(args, 'until');
    const format = flagString(args, 'format');
    return {
      filters,
      ...(since !== undefined && { since: parseSince(since) }),
      ...(until !== undefined && { until: parseSince(until) }),
      ...(format !== undefined && { format }),
    };
  },
  async action(o, { client, stdout }) {
    const res = await client.stream('GET', '/events', {
      query: { since: o.since, until: o.until, filters: Object.keys(o.filters).length ? JSON.stringify(o.filters) : undefined },
    });
    for await (const ev of jsonLines<EventMessage>(res)) stdout.write(o.format ? formatEvent(o.format, ev) : prettyEvent(ev));
    return 0;
  },
};
