import { BerthError } from '@berth/kit';
import type { NetworkContext } from './context.js';
import { defaultRouteEndpoint, endpointSpec, nextInterface, planEndpoint, type EndpointRequest } from './endpoints.js';
import { publishNetworkEvent } from './events.js';
import { firewallState } from './firewall-state.js';
import { findNetwork } from './lookup.js';
import { Driver, type Endpoint } from './model.js';
import { requireSandbox } from './sandboxes.js';

/** Adds an interface for one more network to a running sandbox (`docker network connect`). */
export async function connectContainer(
  ctx: NetworkContext,
  input: { containerId: string; containerName: string; endpoint: EndpointRequest },
): Promise<Endpoint> {
  const { store, host } = ctx;
  const sandbox = requireSandbox(ctx, input.containerId);
  const n = findNetwork(store, input.endpoint.network);
  if (n.driver === Driver.Host) {
    throw new BerthError('permission_denied', 'container cannot be disconnected from host network or connected to host network');
  }
  if (n.driver === Driver.Null) {
    throw new BerthError('permission_denied', 'container cannot be connected to multiple networks with one of the networks in private (none) mode');
  }
  const existing = store.endpointsOf(sandbox.containerId);
  if (existing.some((e) => e.networkId === n.id)) {
    throw new BerthError('permission_denied', `endpoint with name ${sandbox.name || input.containerName} already exists in network ${n.name}`);
  }
  const owner = { containerId: sandbox.containerId, name: sandbox.name || input.containerName.replace(/^\//, '') };
  const seq = existing.reduce((m, e) => Math.max(m, e.seq + 1), 0);
  const ep = store.transaction(() => {
    const planned = planEndpoint(store, n, owner, input.endpoint, nextInterface(existing), seq);
    store.insertEndpoint(planned);
    return planned;
  });
  const holdsDefault = defaultRouteEndpoint([...existing, ep], (id) => store.getNetwork(id)) === ep;
  try {
    await host.addEndpoint(sandbox.netnsPath, endpointSpec(ep, n, holdsDefault));
  } catch (err) {
    await host.deleteLink(ep.hostInterface).catch((e: unknown) => ctx.logger.warn({ err: e }, 'rollback: veth not removed'));
    store.deleteEndpoint(ep.containerId, ep.networkId);
    throw err;
  }
  await publishNetworkEvent(ctx, 'connect', n, sandbox.containerId);
  return ep;
}

/** Removes a sandbox's interface on one network, its port mappings there, and moves the default route if it went with it. */
export async function disconnectContainer(
  ctx: NetworkContext,
  input: { containerId: string; network: string; force: boolean },
): Promise<void> {
  const { store, host } = ctx;
  const n = findNetwork(store, input.network);
  const endpoints = store.endpointsOf(input.containerId);
  const ep = endpoints.find((e) => e.networkId === n.id);
  if (!ep) {
    if (input.force) return;
    throw new BerthError('failed_precondition', `container ${input.containerId} is not connected to network ${n.name}`);
  }
  const networkOf = (id: string) => store.getNetwork(id);
  const hadDefault = defaultRouteEndpoint(endpoints, networkOf) === ep;
  await host.deleteLink(ep.hostInterface);
  store.transaction(() => {
    store.deletePorts(ep.containerId, n.id);
    store.deleteEndpoint(ep.containerId, n.id);
  });
  const sandbox = store.getSandbox(ep.containerId);
  const next = defaultRouteEndpoint(endpoints.filter((e) => e !== ep), networkOf);
  if (hadDefault && next && sandbox && (await host.netnsAlive(sandbox.netnsPath))) {
    await host.setDefaultRoute(sandbox.netnsPath, { gateway: next.gateway, interface: next.interface });
  }
  await host.applyFirewall(firewallState(store));
  await publishNetworkEvent(ctx, 'disconnect', n, ep.containerId);
}
