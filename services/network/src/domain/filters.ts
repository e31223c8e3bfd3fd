import { invalidArgument } from '@berth/kit';
import type { Network } from './model.js';

/** Docker's filters: values of one key are alternatives, different keys must all match. */
export interface Filter {
  key: string;
  values: string[];
}

const LIST_KEYS = new Set(['name', 'id', 'driver', 'label', 'scope', 'type', 'dangling']);
const PRUNE_KEYS = new Set(['until', 'label', 'label!']);

function labelMatches(labels: Record<string, string>, spec: string): boolean {
  const i = spec.indexOf('=');
  if (i < 0) return spec in labels;
  return labels[spec.slice(0, i)] === spec.slice(i + 1);
}

/** "1700000000", "24h", "10m", or an RFC 3339 time → milliseconds since the epoch. */
export function parseUntil(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const d = /^(\d+)(h|m|s)$/.exec(value);
  if (d) return now - Number(d[1]) * { h: 3_600_000, m: 60_000, s: 1000 }[d[2] as 'h' | 'm' | 's'];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${value}'`);
  return t;
}

function matchOne(n: Network, key: string, value: string, endpointCount: number): boolean {
  switch (key) {
    case 'name':
      return n.name.includes(value);
    case 'id':
      return n.id.startsWith(value);
    case 'driver':
      return n.driver === value;
    case 'label':
      return labelMatches(n.labels, value);
    case 'label!':
      return !labelMatches(n.labels, value);
    case 'scope':
      return value === 'local';
    case 'type':
      if (value !== 'custom' && value !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${value}'`);
      return (value === 'builtin') === n.predefined;
    case 'dangling':
      return (value === 'true' || value === '1') === (endpointCount === 0);
    case 'until':
      return Date.parse(n.created) < parseUntil(value);
    default:
      throw invalidArgument(`invalid filter '${key}'`);
  }
}

function check(filters: readonly Filter[], allowed: Set<string>): void {
  for (const f of filters) if (!allowed.has(f.key)) throw invalidArgument(`invalid filter '${f.key}'`);
}

export function checkListFilters(filters: readonly Filter[]): void {
  check(filters, LIST_KEYS);
}

export function checkPruneFilters(filters: readonly Filter[]): void {
  check(filters, PRUNE_KEYS);
}

export function matchesFilters(n: Network, filters: readonly Filter[], endpointCount: number): boolean {
  return filters.every((f) => {
    if (f.values.length === 0) return true;
    // Labels must all hold (Docker ANDs them); other keys take any one of their values.
    if (f.key === 'label' || f.key === 'label!') return f.values.every((v) => matchOne(n, f.key, v, endpointCount));
    return f.values.some((v) => matchOne(n, f.key, v, endpointCount));
  });
}
