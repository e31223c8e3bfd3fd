import { Router } from './router.js';
import type { RouteDeps } from './routes/route-deps.js';
import { systemRoutes } from './routes/system-routes.js';
import { imageRoutes } from './routes/image-routes.js';
import { imageArchiveRoutes } from './routes/image-archive-routes.js';
import { imageCommitRoutes } from './routes/image-commit-routes.js';
import { imageStoreRoutes } from './routes/image-store-routes.js';
import { imagePushRoutes } from './routes/image-push-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { containerRoutes } from './routes/container-routes.js';
import { containerLifecycleRoutes } from './routes/container-lifecycle-routes.js';
import { containerStreamRoutes } from './routes/container-stream-routes.js';
import { networkRoutes } from './routes/network-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { attachRoutes } from './routes/attach-routes.js';
import { execRoutes } from './routes/exec-routes.js';
import { containerOpsRoutes } from './routes/container-ops-routes.js';
import { volumeRoutes } from './routes/volume-routes.js';
import { containerArchiveRoutes } from './routes/container-archive-routes.js';
import { buildRoutes } from './routes/build-routes.js';
import { RecentCreates } from './recent-creates.js';

/** Every Engine API route berth serves, in match order. */
export function engineApiRouter(routeDeps: RouteDeps): Router {
  const deps: RouteDeps = { ...routeDeps, recentCreates: routeDeps.recentCreates ?? new RecentCreates() };
  const router = new Router();
  systemRoutes(router, deps);
  imageRoutes(router, deps);
  imageArchiveRoutes(router, deps);
  imageCommitRoutes(router, deps);
  imageStoreRoutes(router, deps);
  imagePushRoutes(router, deps);
  authRoutes(router, deps);
  containerRoutes(router, deps);
  containerLifecycleRoutes(router, deps);
  attachRoutes(router, deps); // before containerStreamRoutes: its attach is the log-based stand-in
  containerStreamRoutes(router, deps);
  containerOpsRoutes(router, deps);
  containerArchiveRoutes(router, deps);
  execRoutes(router, deps);
  volumeRoutes(router, deps);
  buildRoutes(router, deps);
  networkRoutes(router, deps);
  eventRoutes(router, deps);
  metricsRoutes(router);
  return router;
}
