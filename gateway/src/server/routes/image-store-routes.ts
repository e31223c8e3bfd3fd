import type { Router } from '../router.js';
import { sendJson } from '../http-io.js';
import { parseFilters } from '../docker-shapes/filters.js';
import { imageHistoryJson, imagePruneJson, systemDfJson } from '../docker-shapes/image-extra-shapes.js';
import type { RouteDeps } from './route-deps.js';

/** Image history, image prune and `system df`. */
export function imageStoreRoutes(router: Router, { backends }: RouteDeps): void {
  const { images, containers, volumes } = backends;

  router.get('/images/:name*/history', 'image.History', async ({ res, params, signal }) => {
    sendJson(res, 200, imageHistoryJson(await images.imageHistory({ reference: params['name']! }, { signal })));
  });

  // Docker's `dangling=false` filter is `image prune -a`: every image no container uses.
  router.post('/images/prune', 'image.Prune', async ({ res, query }) => {
    const filters = parseFilters(query.get('filters'));
    const dangling = filters.find((f) => f.key === 'dangling');
    const all = dangling !== undefined && dangling.values.some((v) => ['false', '0'].includes(v.toLowerCase()));
    const pruned = await images.pruneImages({ all, filters: filters.filter((f) => f.key !== 'dangling') });
    sendJson(res, 200, imagePruneJson(pruned));
  });

  router.get('/system/df', 'system.DiskUsage', async ({ res, signal }) => {
    const [usage, list, vols] = await Promise.all([
      images.diskUsage({}, { signal }),
      containers.listContainers({ all: true, limit: 0, filters: [] }, { signal }),
      volumes.listVolumes({ filters: [] }, { signal }),
    ]);
    sendJson(res, 200, systemDfJson(usage, list.containers, vols.volumes));
  });
}
