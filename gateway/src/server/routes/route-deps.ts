import type { Backends } from '../backends.js';
import type { HostFacts } from '../host-facts.js';
import type { EngineIdentity } from '../docker-shapes/system-shapes.js';

/** What route modules are built from: the backend clients and the facts probed at startup. */
export interface RouteDeps {
  backends: Backends;
  engine: EngineIdentity;
  host: HostFacts;
}
