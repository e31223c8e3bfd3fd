import { BerthError } from '@berth/kit/errors'; // light: the CLI loads this file too
import type { types } from '@berth/proto';

/**
 * The `filters` query parameter: JSON `{"status":["exited"]}`, or the older form
 * `{"status":{"exited":true}}` that clients before API 1.22 send and some still do.
 */
export function parseFilters(raw: string | null): types.Filter[] {
  if (raw === null || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new BerthError('invalid_argument', `invalid filter: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BerthError('invalid_argument', 'invalid filter: expected a JSON object');
  }
  const filters: types.Filter[] = [];
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    filters.push({ key, values: filterValues(key, value) });
  }
  return filters;
}

function filterValues(key: string, value: unknown): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, on]) => on === true)
      .map(([v]) => v);
  }
  throw new BerthError('invalid_argument', `invalid filter '${key}': expected a list of strings`);
}

/** The inverse, for clients (the berth CLI): `{"status":["exited"]}`. */
export function encodeFilters(filters: Record<string, string[]>): string {
  return JSON.stringify(filters);
}
