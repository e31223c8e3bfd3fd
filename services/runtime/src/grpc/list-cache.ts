import { preEncoded, type Handlers } from '@berth/kit';
import { runtime } from '@berth/proto';
import type { RuntimeContext } from '../domain/context.js';
import type { ContainerStore } from '../domain/container-store.js';

/** Store methods that only read; every other call may change a container. */
const READS = new Set<string | symbol>(['get', 'list', 'nameHolder', 'idsWithPrefix']);
const MAX_ENTRIES = 64;

type ListHandler = NonNullable<Handlers<typeof runtime.ContainersService>['listContainers']>;

/**
 * ListContainers from memory: answers are cached already encoded, per request, and dropped as a
 * whole when anything writes to the container store (the store is the only source of what a
 * list shows). `docker ps` in a loop, `/info` and monitoring pollers then cost a map lookup, not
 * a SQLite scan, 50 JSON parses and a protobuf encoding per call.
 *
 * The store is observed by replacing ctx.db with a proxy that counts writes: new store methods
 * are treated as writes unless listed in READS, so the cache can only be dropped too often.
 */
export function cachedListContainers(ctx: RuntimeContext, list: ListHandler): ListHandler {
  let generation = 0;
  const store = ctx.db;
  ctx.db = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (READS.has(prop)) return value.bind(target);
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          generation++;
        }
      };
    },
  }) as ContainerStore;
  let cached = { generation: -1, entries: new Map<string, Uint8Array>() };
  return async (req, callCtx) => {
    if (cached.generation !== generation) cached = { generation, entries: new Map() };
    const key = JSON.stringify(req);
    const hit = cached.entries.get(key);
    if (hit) return preEncoded<runtime.ListContainersResponse>(hit);
    const seen = generation;
    const res = await list(req, callCtx);
    const bytes = runtime.ListContainersResponse.encode(res).finish();
    // Kept only if nothing wrote while the list was made.
    if (seen === generation && cached.generation === seen && cached.entries.size < MAX_ENTRIES) cached.entries.set(key, bytes);
    return preEncoded<runtime.ListContainersResponse>(bytes);
  };
}

/** The handlers with listContainers served through cachedListContainers. */
export function withListCache<H extends { listContainers?: ListHandler }>(ctx: RuntimeContext, handlers: H): H {
  return handlers.listContainers ? { ...handlers, listContainers: cachedListContainers(ctx, handlers.listContainers) } : handlers;
}
