import { randomBytes } from 'node:crypto';

/** A new 64-hex-digit identifier, as Docker uses for containers, networks and execs. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

/** The 12-character form Docker prints. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
