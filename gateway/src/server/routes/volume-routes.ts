import { BerthError } from '@berth/kit';
import type { Router } from '../router.js';
import { queryBool, readJson, sendEmpty, sendJson } from '../http-io.js';
import { parseFilters } from '../docker-shapes/filters.js';
import { volumeCreateFromDocker, volumeJson } from '../docker-shapes/volume-shapes.js';
import type { RouteDeps } from './route-deps.js';

/** The Engine API's volumes: the runtime keeps them (local driver). */
export function volumeRoutes(router: Router, { backends }: RouteDeps): void {
  const { volumes } = backends;

  router.get('/volumes', 'volume.List', async ({ res, query, signal }) => {
    const list = await volumes.listVolumes({ filters: parseFilters(query.get('filters')) }, { signal });
    sendJson(res, 200, { Volumes: list.volumes.map(volumeJson), Warnings: [] });
  });

  router.post('/volumes/create', 'volume.Create', async ({ req, res }) => {
    const { volume } = await volumes.createVolume(volumeCreateFromDocker(await readJson(req)));
    if (!volume) throw new BerthError('internal', 'runtime returned no volume');
    sendJson(res, 201, volumeJson(volume));
  });

  router.post('/volumes/prune', 'volume.Prune', async ({ res, query }) => {
    const pruned = await volumes.pruneVolumes({ filters: parseFilters(query.get('filters')) });
    sendJson(res, 200, { VolumesDeleted: pruned.removed, SpaceReclaimed: pruned.spaceReclaimed });
  });

  router.get('/volumes/:name', 'volume.Inspect', async ({ res, params, signal }) => {
    const { volume } = await volumes.getVolume({ name: params['name']! }, { signal });
    if (!volume) throw new BerthError('not_found', `get ${params['name']}: no such volume`);
    sendJson(res, 200, volumeJson(volume));
  });

  router.delete('/volumes/:name', 'volume.Remove', async ({ res, params, query }) => {
    await volumes.removeVolume({ name: params['name']!, force: queryBool(query, 'force') });
    sendEmpty(res, 204);
  });
}
