import { BerthError, isNotFound } from '@berth/kit';
import { isRunning, type ContainerSpec } from './container.js';
import { mustGet, type RuntimeContext } from './context.js';
import { findContainer } from './lookup.js';
import { networkModeOf } from './network-mode.js';
import { DEFAULT_BRIDGE, sameNetwork, type EndpointConfig, type NetworkAttachment } from './network-attachments.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/**
 * One network as the container will be attached to it: the name resolved by the network service
 * (so a name, an id or an id prefix all land on the same network), Docker's rules checked.
 */
export async function resolveAttachment(ctx: RuntimeContext, cfg: EndpointConfig): Promise<NetworkAttachment> {
  const aliases = [...new Set(cfg.aliases.filter(Boolean))];
  if (cfg.ipv4Address && !IPV4.test(cfg.ipv4Address)) throw new BerthError('invalid_argument', `invalid IPv4 address: ${cfg.ipv4Address}`);
  if (!ctx.network) return { config: { network: cfg.network, aliases, ipv4Address: cfg.ipv4Address }, networkId: '' };
  const ref = await ctx.network.resolve(cfg.network);
  if (ref.driver === 'host' || ref.driver === 'null') {
    const what = ref.driver === 'host' ? 'host' : 'private (none)';
    throw new BerthError('invalid_argument', `container cannot be connected to multiple networks with one of the networks in ${what} mode`);
  }
  if (ref.name === DEFAULT_BRIDGE && aliases.length > 0) {
    throw new BerthError('invalid_argument', 'network-scoped alias is supported only for containers in user defined networks');
  }
  if (ref.name === DEFAULT_BRIDGE && cfg.ipv4Address) {
    throw new BerthError('invalid_argument', 'user specified IP address is supported on user defined networks only');
  }
  return { config: { network: ref.name, aliases, ipv4Address: cfg.ipv4Address }, networkId: ref.id };
}

/**
 * The networks a new container is on: the one its NetworkMode names first ("default" is the
 * bridge), then any other EndpointsConfig entry (API 1.44+ lets create name several). Modes that
 * are not a network (none, host, container:<id>) have none.
 */
export async function initialNetworks(ctx: RuntimeContext, spec: ContainerSpec): Promise<NetworkAttachment[]> {
  const mode = networkModeOf(spec.networkMode);
  if (mode.kind === 'container' && (spec.portBindings.length > 0 || spec.publishAllPorts)) {
    throw new BerthError('invalid_argument', 'conflicting options: port publishing and the container type network mode');
  }
  if (mode.kind !== 'network') return [];
  const configs = spec.endpointsConfig ?? [];
  const isPrimary = (e: EndpointConfig) => e.network === mode.name || (mode.name === DEFAULT_BRIDGE && e.network === 'default');
  const primary = configs.find(isPrimary);
  const wanted = [{ network: mode.name, aliases: primary?.aliases ?? [], ipv4Address: primary?.ipv4Address ?? '' }, ...configs.filter((e) => !isPrimary(e))];
  const out: NetworkAttachment[] = [];
  for (const cfg of wanted) {
    const a = await resolveAttachment(ctx, cfg);
    if (!out.some((x) => sameNetwork(x, { id: a.networkId, name: a.config.network }))) out.push(a);
  }
  return out;
}

/** Why a container in this network mode cannot join or leave networks (Docker's wording), if it cannot. */
function modeRefusal(networkMode: string): string | undefined {
  switch (networkModeOf(networkMode).kind) {
    case 'host':
      return 'container cannot be disconnected from host network or connected to host network';
    case 'none':
      return 'container cannot be connected to multiple networks with one of the networks in private (none) mode';
    case 'container':
      return 'container sharing network namespace with another container or host cannot be connected to any other network';
    default:
      return undefined;
  }
}

/**
 * `docker network connect`: a running container gets the endpoint at once (the network service
 * adds an interface to its sandbox); a stopped one remembers the network for its next start.
 */
export async function connectNetwork(ctx: RuntimeContext, ref: string, cfg: EndpointConfig): Promise<void> {
  const id = findContainer(ctx, ref).id;
  await ctx.locks.run(id, async () => {
    const c = mustGet(ctx, id);
    const refusal = modeRefusal(c.spec.networkMode);
    if (refusal) throw new BerthError('permission_denied', refusal);
    const a = await resolveAttachment(ctx, cfg);
    if (c.networks.some((x) => sameNetwork(x, { id: a.networkId, name: a.config.network }))) {
      throw new BerthError('permission_denied', `endpoint with name ${c.name} already exists in network ${a.config.network}`);
    }
    if (isRunning(c) && ctx.network) a.endpoint = await ctx.network.connect(c, a);
    ctx.db.updateNetworks(c.id, { networks: [...c.networks, a], ports: c.ports });
  });
}

/**
 * `docker network disconnect`: the interface goes at once from a running container; a stopped
 * one forgets the network. With `force`, a network that no longer exists (or that the container
 * is not on) is not an error.
 */
export async function disconnectNetwork(ctx: RuntimeContext, ref: string, network: string, force: boolean): Promise<void> {
  const id = findContainer(ctx, ref).id;
  await ctx.locks.run(id, async () => {
    const c = mustGet(ctx, id);
    const refusal = modeRefusal(c.spec.networkMode);
    if (refusal && networkModeOf(c.spec.networkMode).kind === 'host') throw new BerthError('permission_denied', refusal);
    let target: { id?: string; name: string } = { name: network };
    if (ctx.network) {
      try {
        target = await ctx.network.resolve(network);
      } catch (err) {
        if (!force || !isNotFound(err)) throw err; // a removed network is still forgotten by name
      }
    }
    const a = c.networks.find((x) => sameNetwork(x, target) || x.networkId === network);
    if (!a) {
      if (force) return;
      throw new BerthError('failed_precondition', `container ${c.id} is not connected to network ${network}`);
    }
    if (isRunning(c) && ctx.network && a.networkId) await ctx.network.disconnect(c, a.networkId, force);
    // Published ports live on the first network that takes them: they go with it.
    const ports = c.networks[0] === a ? [] : c.ports;
    ctx.db.updateNetworks(c.id, { networks: c.networks.filter((x) => x !== a), ports });
  });
}
