import { processMetrics } from '@berth/kit';
import { errorReply } from './error-status.js';
import type { RouteHandler, Router } from './router.js';

/**
 * Counts and times every Engine API request by route (`container.Create`…), method and status,
 * in the gateway's metrics: berth_http_requests_total, berth_http_request_duration_seconds.
 * Wraps the router's matcher, so the routes and the HTTP server stay as they are.
 */
export function meteredRouter(router: Router): Router {
  const metrics = processMetrics();
  const requests = metrics.counter('berth_http_requests_total', 'Engine API requests, by route, method and status code', ['route', 'method', 'code']);
  const duration = metrics.histogram('berth_http_request_duration_seconds', 'Engine API request latency (streams: until they end), by route', ['route']);
  const match = router.match.bind(router);
  router.match = (method, path) => {
    const found = match(method, path);
    if (!found) return found;
    const handler: RouteHandler = async (ctx) => {
      const started = process.hrtime.bigint();
      let code = 0;
      try {
        await found.handler(ctx);
        code = ctx.res.statusCode;
      } catch (err) {
        code = errorReply(err).status;
        throw err;
      } finally {
        requests.inc({ route: found.name, method, code: String(code) });
        duration.observe({ route: found.name }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    };
    return { ...found, handler };
  };
  return router;
}
