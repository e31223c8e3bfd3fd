import path from 'node:path';
import { BerthError } from './errors.js';

/**
 * Joins untrusted relative parts under root and refuses any result outside it. This is lexical
 * only: callers that write through the result must also refuse symlinks in its parents.
 */
export function safeJoin(root: string, ...parts: string[]): string {
  const base = path.resolve(root);
  const joined = path.resolve(base, ...parts.map((p) => p.replace(/^\/+/, '')));
  if (joined !== base && !joined.startsWith(base + path.sep)) {
    throw new BerthError('invalid_argument', `path ${JSON.stringify(parts.join('/'))} escapes its root`);
  }
  return joined;
}
