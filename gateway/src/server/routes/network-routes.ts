import { BerthError } from '@berth/kit';
import type { Router } from '../router.js';
import { queryBool, readJson, sendEmpty, sendJson } from '../http-io.js';
import { parseFilters } from '../docker-shapes/filters.js';
import { asObject, optBool, optString } from '../docker-shapes/json-fields.js';
import { endpointConfigFromDocker } from '../docker-shapes/networking-config.js';
import { createNetworkFromDocker, networkResource } from '../docker-shapes/network-shapes.js';
import type { RouteDeps } from './route-deps.js';

/**
 * The Engine API's networks: the network service owns them; connect and disconnect go through the
 * runtime, which keeps a container's networks (and applies them at once when it runs).
 */
export function networkRoutes(router: Router, { backends }: RouteDeps): void {
  const { networks, containers } = backends;

  router.get('/networks', 'network.List', async ({ res, query, signal }) => {
    const list = await networks.listNetworks({ filters: parseFilters(query.get('filters')) }, { signal });
    sendJson(res, 200, list.networks.map((n) => networkResource(n, false)));
  });

  router.post('/networks/create', 'network.Create', async ({ req, res }) => {
    const created = await networks.createNetwork(createNetworkFromDocker(await readJson(req)));
    if (!created.network) throw new BerthError('internal', 'network service returned no network');
    sendJson(res, 201, { Id: created.network.id, Warning: created.warning });
  });

  router.post('/networks/prune', 'network.Prune', async ({ res, query }) => {
    const { deleted } = await networks.pruneNetworks({ filters: parseFilters(query.get('filters')) });
    sendJson(res, 200, { NetworksDeleted: deleted });
  });

  router.get('/networks/:id', 'network.Inspect', async ({ res, params, signal }) => {
    const { network } = await networks.getNetwork({ id: params['id']! }, { signal });
    if (!network) throw new BerthError('not_found', `network ${params['id']} not found`);
    sendJson(res, 200, networkResource(network, true));
  });

  router.delete('/networks/:id', 'network.Remove', async ({ res, params }) => {
    await networks.removeNetwork({ id: params['id']! });
    sendEmpty(res, 204);
  });

  router.post('/networks/:id/connect', 'network.Connect', async ({ req, res, params }) => {
    const body = asObject(await readJson(req), 'NetworkConnectRequest');
    const container = optString(body, 'Container');
    if (!container) throw new BerthError('invalid_argument', 'container is required');
    const endpoint = endpointConfigFromDocker(params['id']!, body['EndpointConfig'], 'EndpointConfig');
    await containers.connectNetwork({ id: container, endpoint });
    sendEmpty(res, 200);
  });

  router.post('/networks/:id/disconnect', 'network.Disconnect', async ({ req, res, params, query }) => {
    const body = asObject(await readJson(req), 'NetworkDisconnectRequest');
    const container = optString(body, 'Container');
    if (!container) throw new BerthError('invalid_argument', 'container is required');
    await containers.disconnectNetwork({ id: container, network: params['id']!, force: optBool(body, 'Force') || queryBool(query, 'force') });
    sendEmpty(res, 200);
  });
}
