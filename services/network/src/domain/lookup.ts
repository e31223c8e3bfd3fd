import { BerthError, notFound } from '@berth/kit';
import type { Network } from './model.js';
import type { NetworkStore } from './store.js';

/** Docker's order: full id, then exact name, then a unique id prefix. */
export function findNetwork(store: NetworkStore, ref: string): Network {
  const byId = store.getNetwork(ref);
  if (byId) return byId;
  const byName = store.networkByName(ref);
  if (byName) return byName;
  if (/^[0-9a-f]+$/.test(ref)) {
    const matches = store.listNetworks().filter((n) => n.id.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new BerthError('invalid_argument', `network ${ref} is ambiguous (${matches.length} matches found based on ID prefix)`);
    }
  }
  throw notFound(`network ${ref} not found`);
}

export function maybeNetwork(store: NetworkStore, ref: string): Network | undefined {
  try {
    return findNetwork(store, ref);
  } catch (err) {
    if (err instanceof BerthError && err.kind === 'not_found') return undefined;
    throw err;
  }
}
