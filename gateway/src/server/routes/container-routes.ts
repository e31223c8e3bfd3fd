import { BerthError, isAlreadyExists, isNotFound } from '@berth/kit';
import type { Router } from '../router.js';
import { queryBool, queryInt, readJson, sendEmpty, sendJson } from '../http-io.js';
import { parseFilters } from '../docker-shapes/filters.js';
import { containerSpecFromDocker, validContainerName } from '../docker-shapes/container-spec.js';
import { listSummary } from '../docker-shapes/summary-cache.js';
import { containerInspect } from '../docker-shapes/container-inspect.js';
import { familiarTagged, looksLikeImageId, parseImageRef } from '../../reference/image-reference.js';
import type { RouteDeps } from './route-deps.js';

/**
 * Create, list, inspect and remove. Calls that change state are not tied to the client's
 * connection: a client that goes away mid-create must not leave a half-made container.
 */
export function containerRoutes(router: Router, { backends, recentCreates }: RouteDeps): void {
  const { containers, images } = backends;

  router.post('/containers/create', 'container.Create', async ({ req, res, query, signal }) => {
    const spec = containerSpecFromDocker(await readJson(req));
    const byId = looksLikeImageId(spec.image);
    if (!byId) parseImageRef(spec.image); // 400 "invalid reference format…" before anything else
    const nameParam = query.get('name');
    const name = nameParam ? validContainerName(nameParam) : '';
    let created;
    try {
      created = await containers.createContainer({ name, spec });
    } catch (err) {
      // The docker CLI pulls and retries on exactly Docker's "No such image" 404, which Docker gives
      // before a name conflict or any other not-found: asked of the image service only when the
      // create failed so (a run whose image is there saves that round trip).
      if (!isNotFound(err) && !isAlreadyExists(err)) throw err;
      const missing = await images.getImage({ reference: spec.image }, { signal }).then(() => false, (e: unknown) => {
        if (isNotFound(e)) return true;
        throw e;
      });
      if (!missing) throw err;
      const shown = byId ? spec.image : familiarTagged(spec.image);
      throw new BerthError('not_found', `No such image: ${shown}`, { cause: err });
    }
    if (!created.container) throw new BerthError('internal', 'runtime returned no container');
    recentCreates?.add(created.container.id);
    sendJson(res, 201, { Id: created.container.id, Warnings: created.warnings });
  });

  router.get('/containers/json', 'container.List', async ({ res, query, signal }) => {
    const list = await containers.listContainers(
      { all: queryBool(query, 'all'), limit: queryInt(query, 'limit') ?? 0, filters: parseFilters(query.get('filters')) },
      { signal },
    );
    const now = new Date();
    sendJson(res, 200, list.containers.map((c) => listSummary(c, now)));
  });

  router.get('/containers/:id/json', 'container.Inspect', async ({ res, params, signal }) => {
    const { container } = await containers.getContainer({ id: params['id']! }, { signal });
    if (!container) throw new BerthError('not_found', `No such container: ${params['id']}`);
    sendJson(res, 200, containerInspect(container));
  });

  router.delete('/containers/:id', 'container.Remove', async ({ res, params, query }) => {
    recentCreates?.clear();
    await containers.removeContainer({ id: params['id']!, force: queryBool(query, 'force'), removeVolumes: queryBool(query, 'v') });
    sendEmpty(res, 204);
  });

  router.post('/containers/:id/rename', 'container.Rename', async ({ res, params, query }) => {
    const name = validContainerName(query.get('name') ?? '');
    await containers.renameContainer({ id: params['id']!, name });
    sendEmpty(res, 204);
  });
}
