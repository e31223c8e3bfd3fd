import { once } from 'node:events';
import { BerthError } from '@berth/kit';
import type { Router } from '../router.js';
import { parseFilters } from '../docker-shapes/filters.js';
import { eventFilter, parseEventTime } from '../docker-shapes/event-filters.js';
import type { RouteDeps } from './route-deps.js';

/**
 * `GET /events`: Docker's event stream, newline-delimited JSON written as each event arrives.
 * Read from NATS (JetStream stream BERTH_EVENTS): `since` replays stored events first; `until`
 * ends the stream (at once, after the replay, when it is already past). Without either, live
 * events until the client goes away. The response headers go out only once the subscription
 * exists, so a client that has them misses nothing published afterwards.
 */
export function eventRoutes(router: Router, deps: RouteDeps): void {
  router.get('/events', 'system.Events', async ({ res, query, signal }) => {
    if (!deps.events) throw new BerthError('unavailable', 'events are not available: the gateway has no NATS server configured (BERTH_NATS_URL)');
    const matches = eventFilter(parseFilters(query.get('filters')));
    const now = Date.now();
    const since = parseEventTime(query.get('since'), 'since', now);
    const until = parseEventTime(query.get('until'), 'until', now);
    // Docker: with only `until`, every stored event up to it.
    const events = await deps.events.open({ ...((since ?? until) && { since: since ?? new Date(0) }), ...(until && { until }), signal });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    for await (const ev of events) {
      if (!matches(ev)) continue;
      if (!res.write(JSON.stringify(ev) + '\n')) await once(res, 'drain', { signal }).catch(() => undefined);
      if (signal.aborted) break;
    }
    res.end();
  });
}
