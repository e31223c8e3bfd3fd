import { serveMetrics } from '@berth/kit';
import type { Router } from '../router.js';

/**
 * `GET /metrics` on the Engine API socket: the gateway process's Prometheus metrics (the
 * same as on `config.metrics.gateway` when that listener is on). Not a Docker route; dockerd
 * serves its metrics on a separate `--metrics-addr` only, which berth also offers.
 */
export function metricsRoutes(router: Router): void {
  router.get('/metrics', 'system.Metrics', async ({ res }) => serveMetrics(res));
}
