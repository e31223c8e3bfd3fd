import type { Backends } from '../backends.js';
import type { HostFacts } from '../host-facts.js';
import type { EngineIdentity } from '../docker-shapes/system-shapes.js';
import type { EventSource } from '../event-source.js';
import type { RecentCreates } from '../recent-creates.js';

/** What route modules are built from: the backend clients and the facts probed at startup. */
export interface RouteDeps {
  backends: Backends;
  engine: EngineIdentity;
  host: HostFacts;
  /** Where `GET /events` reads; absent: the route answers 503. */
  events?: EventSource;
  /** Containers created through these routes a moment ago (the wait route's shortcut); absent: none. */
  recentCreates?: RecentCreates;
}
