import { BerthError, invalidArgument, safeJoin } from '@berth/kit';
import type { NetworkContext } from './context.js';
import { defaultRouteEndpoint, endpointSpec, planEndpoint, type EndpointRequest } from './endpoints.js';
import { publishNetworkEvent } from './events.js';
import { firewallState } from './firewall-state.js';
import { findNetwork } from './lookup.js';
import { Driver, type Endpoint, type Network, type PortMapping, type Sandbox } from './model.js';
import { choosePorts } from './port-mappings.js';

export interface SetupSandboxInput {
  containerId: string;
  containerName: string;
  hostname: string;
  endpoints: EndpointRequest[];
  ports: PortMapping[];
}

export interface SetupSandboxResult {
  netnsPath: string;
  endpoints: Endpoint[];
  ports: PortMapping[];
  /** For the container's resolv.conf: the embedded DNS server on its first network's gateway. */
  dnsServers: string[];
  dnsSearch: string[];
  /** Extra /etc/hosts lines: "<address>\t<hostname>". */
  hosts: string[];
}

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function netnsPathFor(ctx: NetworkContext, containerId: string): string {
  if (!CONTAINER_ID.test(containerId)) throw invalidArgument(`invalid container id ${JSON.stringify(containerId)}`);
  return safeJoin(ctx.settings.netnsDir, containerId);
}

/** The networks a sandbox joins, in order; none/null networks add no endpoint, host is refused. */
function resolveNetworks(ctx: NetworkContext, requests: readonly EndpointRequest[]): Array<{ n: Network; req: EndpointRequest }> {
  const out: Array<{ n: Network; req: EndpointRequest }> = [];
  for (const req of requests) {
    const n = findNetwork(ctx.store, req.network);
    if (n.driver === Driver.Host) throw invalidArgument('the host network has no sandbox: run in the host network namespace');
    if (n.driver === Driver.Null) {
      if (requests.length > 1) {
        throw invalidArgument('container cannot be connected to multiple networks with one of the networks in private (none) mode');
      }
      continue;
    }
    if (out.some((x) => x.n.id === n.id)) throw invalidArgument(`network ${n.name} requested twice`);
    out.push({ n, req });
  }
  return out;
}

/**
 * Makes the container's netns file and joins it to its networks: addresses and ports are chosen
 * and persisted first (one transaction), then the kernel is made to match; any failure undoes it all.
 */
export async function setupSandbox(ctx: NetworkContext, input: SetupSandboxInput): Promise<SetupSandboxResult> {
  const { store, host } = ctx;
  const t0 = performance.now();
  const ms: Record<string, number> = {};
  const mark = (name: string) => (ms[name] = Math.round((performance.now() - t0) * 10) / 10);
  const netnsPath = netnsPathFor(ctx, input.containerId);
  const joins = resolveNetworks(ctx, input.endpoints);
  if (store.getSandbox(input.containerId) || (await host.netnsAlive(netnsPath))) {
    ctx.logger.warn({ container: input.containerId }, 'sandbox already exists: replacing it');
    await teardownSandbox(ctx, input.containerId);
  }
  const portTarget = joins.find((j) => !j.n.internal)?.n;
  const ports = portTarget ? await choosePorts(host, input.ports, store.listPorts()) : [];
  const sandbox: Sandbox = {
    containerId: input.containerId, name: input.containerName.replace(/^\//, ''), hostname: input.hostname,
    netnsPath, created: new Date().toISOString(),
  };
  const endpoints = store.transaction(() => {
    store.insertSandbox(sandbox);
    const eps = joins.map(({ n, req }, i) => {
      const ep = planEndpoint(store, n, sandbox, req, `eth${i}`, i);
      store.insertEndpoint(ep);
      return ep;
    });
    for (const p of ports) store.insertPort({ ...p, containerId: sandbox.containerId, networkId: portTarget!.id });
    return eps;
  });
  const byId = new Map(joins.map((j) => [j.n.id, j.n]));
  try {
    const gw = defaultRouteEndpoint(endpoints, (id) => byId.get(id));
    mark('planned');
    await host.createSandbox(netnsPath, endpoints.map((ep) => endpointSpec(ep, byId.get(ep.networkId)!, ep === gw)));
    mark('kernel');
    await host.applyFirewall(firewallState(store));
    mark('firewall');
  } catch (err) {
    await undoSandbox(ctx, sandbox, endpoints).catch((e: unknown) => ctx.logger.error({ err: e }, 'sandbox rollback incomplete'));
    throw err;
  }
  // Not awaited (a JetStream ack is a round trip every `docker run` would wait for); sent in order, never throws.
  for (const j of joins) void publishNetworkEvent(ctx, 'connect', j.n, sandbox.containerId);
  ctx.logger.debug({ container: input.containerId, at: ms }, 'sandbox set up'); // ms since the request came
  const first = endpoints[0];
  const firstNet = first && byId.get(first.networkId);
  return {
    netnsPath, endpoints, ports,
    dnsServers: firstNet && ctx.dns.serving(firstNet.gateway) ? [firstNet.gateway] : [],
    dnsSearch: [],
    hosts: first ? [`${first.address}\t${input.hostname || input.containerId.slice(0, 12)}`] : [],
  };
}

/** Removes links, the netns file, the rows and the rules; each step tolerates what is already gone. */
async function undoSandbox(ctx: NetworkContext, sandbox: Sandbox, endpoints: readonly Endpoint[]): Promise<void> {
  const { store, host } = ctx;
  let failure: unknown;
  const step = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      failure ??= err;
    }
  };
  for (const ep of endpoints) await step(() => host.deleteLink(ep.hostInterface));
  await step(() => host.deleteNetns(sandbox.netnsPath));
  store.transaction(() => {
    store.deletePorts(sandbox.containerId);
    store.deleteSandbox(sandbox.containerId);
  });
  await step(async () => void (await host.applyFirewall(firewallState(store))));
  if (failure) throw failure;
}

/**
 * Idempotent: a sandbox that is gone, or half made, is cleaned up as far as it exists. The rows and
 * the rules go at once (its addresses and ports are free when this returns); the netns and veths
 * are removed in the background, so a container's exit does not wait for the kernel.
 */
export async function teardownSandbox(ctx: NetworkContext, containerId: string): Promise<void> {
  const { store, host } = ctx;
  const t0 = performance.now();
  const sandbox = store.getSandbox(containerId) ?? {
    containerId, name: '', hostname: '', netnsPath: netnsPathFor(ctx, containerId), created: '',
  };
  const endpoints = store.endpointsOf(containerId);
  store.transaction(() => {
    store.deletePorts(containerId);
    store.deleteSandbox(containerId);
  });
  try {
    await host.applyFirewall(firewallState(store));
  } finally {
    host.releaseSandbox(sandbox.netnsPath, endpoints.map((ep) => ep.hostInterface), (err) =>
      ctx.logger.warn({ err, container: containerId }, 'sandbox removal incomplete (a reconcile finishes it)'));
  }
  for (const ep of endpoints) {
    const n = store.getNetwork(ep.networkId);
    if (n) void publishNetworkEvent(ctx, 'disconnect', n, containerId);
  }
  ctx.logger.debug({ container: containerId, ms: Math.round((performance.now() - t0) * 10) / 10 }, 'sandbox torn down');
}

export function requireSandbox(ctx: NetworkContext, containerId: string): Sandbox {
  const s = ctx.store.getSandbox(containerId);
  if (!s) throw new BerthError('failed_precondition', `container ${containerId} is not running`);
  return s;
}
