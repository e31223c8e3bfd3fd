import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `--since`/`--until` as docker takes them: a Go duration relative to now ("42m", "1h30m"), an
 * RFC 3339 time, or unix seconds. Sent to the daemon as unix "seconds.nanoseconds".
 */
export function parseSince(value: string, now = Date.now()): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const duration = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(value)
    ? [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)].reduce((sum, m) => sum + Number(m[1]) * UNIT_MS[m[2]!]!, 0)
    : undefined;
  const ms = duration !== undefined ? now - duration : Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`invalid value for "since": ${value}`);
  return `${Math.floor(ms / 1000)}.${String(Math.round((ms % 1000) * 1e6)).padStart(9, '0')}`;
}
