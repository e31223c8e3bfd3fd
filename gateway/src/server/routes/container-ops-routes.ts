import { BerthError } from '@berth/kit';
import type { Router } from '../router.js';
import { queryBool, queryInt, readJson, sendEmpty, sendJson } from '../http-io.js';
import { statsJson } from '../docker-shapes/stats-shapes.js';
import { updateFromDocker } from '../docker-shapes/update-shapes.js';
import type { RouteDeps } from './route-deps.js';

/** Resize, update, top, stats: forwards to the runtime. */
export function containerOpsRoutes(router: Router, { backends }: RouteDeps): void {
  const { containers } = backends;

  router.post('/containers/:id/resize', 'container.Resize', async ({ res, params, query }) => {
    await containers.resizeContainer({ id: params['id']!, height: queryInt(query, 'h') ?? 0, width: queryInt(query, 'w') ?? 0 });
    sendEmpty(res, 200);
  });

  router.post('/containers/:id/update', 'container.Update', async ({ req, res, params }) => {
    const { warnings } = await containers.updateContainer(updateFromDocker(params['id']!, await readJson(req)));
    sendJson(res, 200, { Warnings: warnings });
  });

  router.get('/containers/:id/top', 'container.Top', async ({ res, params, query, signal }) => {
    const top = await containers.topContainer({ id: params['id']!, psArgs: query.get('ps_args') ?? '' }, { signal });
    sendJson(res, 200, { Titles: top.titles, Processes: top.processes.map((p) => p.values) });
  });

  /**
   * Docker's stats: a stream of samples (one a second), or one: with one-shot, at once (no
   * precpu); without, after a second, so that a CPU percentage can be computed (what
   * `docker stats --no-stream` shows).
   */
  router.get('/containers/:id/stats', 'container.Stats', async ({ res, params, query, signal }) => {
    const { container } = await containers.getContainer({ id: params['id']! }, { signal });
    if (!container) throw new BerthError('not_found', `No such container: ${params['id']}`);
    const stream = query.get('stream') === null || queryBool(query, 'stream');
    const oneShot = queryBool(query, 'one-shot');
    const samples = containers.containerStats({ id: container.id, stream: stream || !oneShot, intervalMs: 1000 }, { signal });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    let seen = 0;
    try {
      for await (const s of samples) {
        seen++;
        if (!stream && !oneShot && seen === 1 && s.cgroupVersion) continue; // wait for the second, with precpu
        if (!res.write(JSON.stringify(statsJson(s, container.id, container.name)) + '\n')) await new Promise((r) => res.once('drain', r));
        if (!stream) break;
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
    res.end();
  });
}
