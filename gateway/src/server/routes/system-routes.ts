import { errorKind, type Logger } from '@berth/kit';
import type { Router, RouteContext } from '../router.js';
import { sendJson } from '../http-io.js';
import { sendPing } from '../ping-fast-path.js';
import { type OciRuntimes, systemInfo, systemVersion, type EngineCounts } from '../docker-shapes/system-shapes.js';
import type { RouteDeps } from './route-deps.js';

export function systemRoutes(router: Router, deps: RouteDeps): void {
  const ping = async ({ req, res }: RouteContext): Promise<void> => sendPing(req, res);
  router.get('/_ping', 'system.Ping', ping);
  router.head('/_ping', 'system.Ping', ping);

  router.get('/version', 'system.Version', async ({ res }) => sendJson(res, 200, systemVersion(deps.engine, deps.host)));

  router.get('/info', 'system.Info', async ({ res, signal, logger }) => {
    const { counts, warnings, runtimes } = await engineCounts(deps, signal, logger);
    sendJson(res, 200, systemInfo(deps.engine, deps.host, counts, warnings, runtimes));
  });
}

/**
 * Container and image counts for /info. A service that does not answer must not break `docker
 * info` (it is what people run to find out what is wrong): its counts show as 0, with a warning.
 */
async function engineCounts(deps: RouteDeps, signal: AbortSignal, logger: Logger): Promise<{ counts: EngineCounts; warnings: string[]; runtimes?: OciRuntimes }> {
  const warnings: string[] = [];
  const counts: EngineCounts = { containers: 0, running: 0, paused: 0, stopped: 0, images: 0 };
  const unavailable = (service: string, err: unknown): void => {
    logger.warn({ err: (err as Error).message, kind: errorKind(err), service }, 'info: service did not answer');
    warnings.push(`WARNING: the ${service} service is not available; its counts are missing`);
  };
  const [containers, images, runtimeInfo] = await Promise.allSettled([
    deps.backends.containers.listContainers({ all: true, limit: 0, filters: [] }, { signal, timeoutMs: 5_000 }),
    deps.backends.images.listImages({ all: false, filters: [] }, { signal, timeoutMs: 5_000 }),
    deps.backends.containers.getRuntimeInfo({}, { signal, timeoutMs: 5_000 }),
  ]);
  if (containers.status === 'fulfilled') {
    for (const c of containers.value.containers) {
      counts.containers++;
      const status = c.state?.status ?? '';
      if (status === 'paused') counts.paused++;
      else if (status === 'running' || status === 'restarting') counts.running++;
      else counts.stopped++;
    }
  } else unavailable('runtime', containers.reason);
  if (images.status === 'fulfilled') counts.images = images.value.images.length;
  else unavailable('image', images.reason);
  const runtimes = runtimeInfo.status === 'fulfilled' && runtimeInfo.value.ociRuntime
    ? { default: runtimeInfo.value.ociRuntime, paths: runtimeInfo.value.ociRuntimes }
    : undefined; // an unavailable runtime service is warned about above
  return { counts, warnings, ...(runtimes ? { runtimes } : {}) };
}
