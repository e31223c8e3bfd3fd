/** Wall-clock times with nanoseconds, as Docker prints them (`2024-01-02T03:04:05.123456789Z`). */

// Date.now() has only milliseconds; hrtime gives the rest, anchored to the wall clock once.
const originNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return originNs + process.hrtime.bigint();
}

export function rfc3339FromNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

export function nowRfc3339(): string {
  return rfc3339FromNs(nowNs());
}

/** Parses RFC 3339 with any fraction and a Z or ±hh:mm offset; undefined when it is not one. */
export function parseRfc3339Ns(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3] === 'Z' ? 'Z' : m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Docker's `since`/`until` for logs: unix seconds with optional fraction ("1700000000.5"), or RFC 3339. */
export function parseTimeFilter(text: string): bigint | undefined {
  if (!text) return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (m) return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  return parseRfc3339Ns(text);
}
