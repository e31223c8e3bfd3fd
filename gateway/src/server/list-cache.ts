import type { CallOptions, Logger } from '@berth/kit';
import type { Backends } from './backends.js';
import type { EventSource } from './event-source.js';
import type { RouteHandler, Router } from './router.js';

/** How long an answer may be served without any event having confirmed the subscription is alive. */
const MAX_AGE_MS = 2_000;

/**
 * The container and image lists (`docker ps`, `/info`, the list endpoints that monitors poll)
 * answered from the gateway's memory while nothing changed. One gRPC call costs about a
 * millisecond here (grpc-js), an order more than the rest of the request; dockerd answers from
 * memory too. What makes it correct:
 *
 * - every event on NATS (`berth.events.>`: any container, image, network or volume change, made
 *   through this gateway or not) drops the cache; the services publish only after a change is
 *   durable, so a list loaded after the event includes it;
 * - every request other than GET through this gateway drops it when it starts and when it ends
 *   (read-your-writes: `docker run`, then `docker ps`, never needs the event to have arrived);
 * - without a live NATS subscription there is no caching at all; an answer is kept at most
 *   MAX_AGE_MS, and a load that raced with a change is not kept.
 *
 * Changes made by another path and seen only through their event are visible a few milliseconds
 * later, as in dockerd, whose own state lags its runtime's exit notifications the same way.
 */
export class ListCache {
  private generation = 0;
  private live = false;
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();

  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Called as the event subscription comes up (true) or is lost (false). */
  setLive(live: boolean): void {
    this.live = live;
    this.invalidate();
  }

  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.live) return load();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at <= MAX_AGE_MS) return hit.value as Promise<T>;
    const generation = this.generation;
    const value = load();
    this.entries.set(key, { at: now, value });
    value.then(
      () => {
        if (this.generation !== generation) this.entries.delete(key);
      },
      () => this.entries.get(key)?.value === value && this.entries.delete(key),
    );
    return value;
  }
}

/** A load other requests may share must not end when the first requester goes away. */
function shared(options?: CallOptions): CallOptions {
  return { timeoutMs: options?.timeoutMs ?? 10_000 };
}

/** Backends whose list calls go through the cache; everything else is untouched. */
export function cachedBackends(backends: Backends, cache: ListCache): Backends {
  const containers = backends.containers;
  const images = backends.images;
  return {
    ...backends,
    containers: Object.assign(Object.create(containers) as typeof containers, {
      listContainers: (req: Parameters<typeof containers.listContainers>[0], options?: Parameters<typeof containers.listContainers>[1]) =>
        cache.get(`containers ${JSON.stringify(req)}`, () => containers.listContainers(req, shared(options))),
    }),
    images: Object.assign(Object.create(images) as typeof images, {
      listImages: (req: Parameters<typeof images.listImages>[0], options?: Parameters<typeof images.listImages>[1]) =>
        cache.get(`images ${JSON.stringify(req)}`, () => images.listImages(req, shared(options))),
    }),
  };
}

/** Drops the cache around every request that may change something (anything but GET and HEAD). */
export function invalidatingRouter(router: Router, cache: ListCache): Router {
  const match = router.match.bind(router);
  router.match = (method, path) => {
    const found = match(method, path);
    if (!found || method === 'GET' || method === 'HEAD') return found;
    const handler: RouteHandler = async (ctx) => {
      cache.invalidate();
      try {
        await found.handler(ctx);
      } finally {
        cache.invalidate();
      }
    };
    return { ...found, handler };
  };
  const matchUpgrade = router.matchUpgrade.bind(router);
  router.matchUpgrade = (method, path) => {
    cache.invalidate();
    return matchUpgrade(method, path);
  };
  return router;
}

/** Keeps the cache tied to the event subscription; returns its stop. */
export function watchForChanges(events: EventSource, cache: ListCache, logger: Logger): () => Promise<void> {
  return events.watch({
    onEvent: () => cache.invalidate(),
    onLive: (live) => {
      cache.setLive(live);
      logger.debug({ live }, 'list cache follows the event subscription');
    },
  });
}
