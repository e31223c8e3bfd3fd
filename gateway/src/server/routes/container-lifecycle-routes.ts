import { BerthError } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { Router } from '../router.js';
import { queryInt, sendEmpty } from '../http-io.js';
import { errorReply } from '../error-status.js';
import type { RouteDeps } from './route-deps.js';

const WAIT_CONDITIONS = new Set(['not-running', 'next-exit', 'removed']);

/** Start, stop, restart, kill, pause, unpause, wait: thin forwards to the runtime. */
export function containerLifecycleRoutes(router: Router, { backends, recentCreates }: RouteDeps): void {
  const { containers } = backends;

  router.post('/containers/:id/start', 'container.Start', async ({ res, params }) => {
    // The runtime resolves the name or id prefix and says when there was nothing to do: one
    // round trip on the way of every `docker run`.
    const { alreadyRunning } = await containers.startContainer({ id: params['id']! });
    sendEmpty(res, alreadyRunning ? 304 : 204);
  });

  router.post('/containers/:id/stop', 'container.Stop', async ({ res, params, query }) => {
    const request: runtime.StopContainerRequest = { id: params['id']!, signal: query.get('signal') ?? '' };
    const timeout = queryInt(query, 't') ?? queryInt(query, 'timeout');
    if (timeout !== undefined) request.timeoutSeconds = timeout;
    const stopped = await containers.stopContainer(request);
    sendEmpty(res, stopped.alreadyStopped ? 304 : 204);
  });

  router.post('/containers/:id/restart', 'container.Restart', async ({ res, params, query }) => {
    const request: runtime.RestartContainerRequest = { id: params['id']! };
    const timeout = queryInt(query, 't') ?? queryInt(query, 'timeout');
    if (timeout !== undefined) request.timeoutSeconds = timeout;
    await containers.restartContainer(request);
    sendEmpty(res, 204);
  });

  router.post('/containers/:id/kill', 'container.Kill', async ({ res, params, query }) => {
    await containers.killContainer({ id: params['id']!, signal: query.get('signal') ?? '' });
    sendEmpty(res, 204);
  });

  router.post('/containers/:id/pause', 'container.Pause', async ({ res, params }) => {
    await containers.pauseContainer({ id: params['id']! });
    sendEmpty(res, 204);
  });

  router.post('/containers/:id/unpause', 'container.Unpause', async ({ res, params }) => {
    await containers.unpauseContainer({ id: params['id']! });
    sendEmpty(res, 204);
  });

  /**
   * Docker sends the headers as soon as the wait is registered and the body when it ends: the
   * docker CLI waits for those headers before it starts the container, so a fast container's exit
   * is not missed. Errors after the headers go in the body's Error. A missing container is a 404,
   * so the runtime is asked first — unless this gateway has just created it (recent-creates.ts).
   */
  router.post('/containers/:id/wait', 'container.Wait', async ({ res, params, query, signal }) => {
    const condition = query.get('condition') || 'not-running';
    if (!WAIT_CONDITIONS.has(condition)) throw new BerthError('invalid_argument', `invalid condition: "${condition}"`);
    const ref = params['id']!;
    const id = recentCreates?.take(ref) ? ref : ((await containers.getContainer({ id: ref }, { signal })).container?.id ?? ref);
    const waiting = containers.waitContainer({ id, condition }, { signal });
    // Settled here so a failure before the headers are written is not an unhandled rejection.
    const outcome = waiting.then(
      (r) => ({ StatusCode: r.exitCode, ...(r.error ? { Error: { Message: r.error } } : {}) }),
      (err: unknown) => ({ StatusCode: -1, Error: { Message: errorReply(err).message } }),
    );
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const body = await outcome;
    if (!signal.aborted) res.end(JSON.stringify(body) + '\n');
  });
}
