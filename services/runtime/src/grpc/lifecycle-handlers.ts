import type { Handlers } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { ContainerService } from '../domain/container-service.js';
import { resourcesIn } from './convert.js';
import { statsToProto } from './stats-convert.js';

type H = Handlers<typeof runtime.ContainersService>;

/** Pause, unpause, rename, update, top, stats: decode, call, encode. */
export function lifecycleHandlers(
  containers: ContainerService,
): Pick<H, 'pauseContainer' | 'unpauseContainer' | 'renameContainer' | 'updateContainer' | 'topContainer' | 'containerStats'> {
  return {
    pauseContainer: async (req) => (await containers.pause(req.id), {}),
    unpauseContainer: async (req) => (await containers.unpause(req.id), {}),
    renameContainer: async (req) => (await containers.rename(req.id, req.name), {}),
    updateContainer: async (req) => ({
      warnings: await containers.update(req.id, {
        resources: resourcesIn(req.resources),
        ...(req.restartPolicy ? { restartPolicy: { name: req.restartPolicy.name, maximumRetryCount: req.restartPolicy.maximumRetryCount } } : {}),
      }),
    }),
    topContainer: async (req) => {
      const top = await containers.top(req.id, req.psArgs);
      return { titles: top.titles, processes: top.processes.map((values) => ({ values })) };
    },
    containerStats: async function* (req, ctx) {
      for await (const s of containers.stats(req.id, { stream: req.stream, intervalMs: req.intervalMs }, ctx.signal)) yield statsToProto(s);
    },
  };
}
