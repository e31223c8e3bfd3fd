import { BerthError, alreadyExists, invalidArgument, newId } from '@berth/kit';
import type { NetworkContext } from './context.js';
import { publishNetworkEvent } from './events.js';
import { checkListFilters, checkPruneFilters, matchesFilters, type Filter } from './filters.js';
import { firewallState } from './firewall-state.js';
import { allocateSubnet, checkSpace, defaultGateway } from './ipam.js';
import { formatCidr, formatIp, overlaps, parseCidr, parseIp, type Cidr } from './ipv4.js';
import { findNetwork } from './lookup.js';
import { Driver, Option, type Network } from './model.js';

export interface CreateNetworkInput {
  name: string;
  driver: string;
  internal: boolean;
  ipam: Array<{ subnet: string; gateway: string; ipRange: string }>;
  options: Record<string, string>;
  labels: Record<string, string>;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const DEVICE = /^[A-Za-z0-9_.-]{1,15}$/;

export const bridgeSpec = (n: Network) => ({
  networkId: n.id, device: n.bridge, address: `${n.gateway}/${parseCidr(n.subnet).prefix}`, mtu: n.mtu,
});

function parseMtu(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const mtu = Number(value);
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw invalidArgument(`invalid MTU ${JSON.stringify(value)}`);
  return mtu;
}

async function chooseSubnet(ctx: NetworkContext, requested: string): Promise<Cidr> {
  const others = ctx.store.listNetworks().filter((n) => n.subnet).map((n) => parseCidr(n.subnet));
  if (requested) {
    const subnet = parseCidr(requested);
    if (others.some((o) => overlaps(o, subnet))) {
      throw new BerthError('permission_denied', `Pool overlaps with other one on this address space`);
    }
    return subnet;
  }
  const routes = (await ctx.host.routes()).map(parseCidr);
  return allocateSubnet(ctx.settings.subnetPools, ctx.settings.autoPrefix, [...others, ...routes]);
}

/** Validates, persists, makes the bridge and its rules, starts DNS on its gateway; undone on failure. */
export async function createNetwork(ctx: NetworkContext, input: CreateNetworkInput): Promise<Network> {
  const { store, host } = ctx;
  if (!NAME.test(input.name)) throw invalidArgument(`invalid network name ${JSON.stringify(input.name)}`);
  const driver = input.driver || Driver.Bridge;
  if (driver === Driver.Host || driver === Driver.Null) {
    throw new BerthError('permission_denied', `only one instance of "${driver}" network is allowed`);
  }
  if (driver !== Driver.Bridge) throw new BerthError('not_found', `plugin "${driver}" not found`);
  if (store.networkByName(input.name)) throw alreadyExists(`network with name ${input.name} already exists`);
  const ipam = input.ipam.filter((c) => c.subnet || c.gateway || c.ipRange);
  if (ipam.length > 1 || ipam.some((c) => `${c.subnet}${c.gateway}${c.ipRange}`.includes(':'))) {
    throw invalidArgument('only one IPv4 subnet per network is supported');
  }
  const req = ipam[0] ?? { subnet: '', gateway: '', ipRange: '' };
  if (!req.subnet && (req.gateway || req.ipRange)) throw invalidArgument('gateway and ip-range need a subnet');
  const subnet = await chooseSubnet(ctx, req.subnet);
  const gateway = req.gateway ? parseIp(req.gateway) : defaultGateway(subnet);
  const range = req.ipRange ? parseCidr(req.ipRange) : undefined;
  checkSpace({ subnet, range, gateway });
  const id = newId();
  const device = input.options[Option.BridgeName] || `br-${id.slice(0, 12)}`;
  if (!DEVICE.test(device)) throw invalidArgument(`invalid bridge name ${JSON.stringify(device)}`);
  if (store.listNetworks().some((n) => n.bridge === device) || (await host.foreignLinkExists(device))) {
    throw alreadyExists(`bridge device ${device} already exists`);
  }
  const network: Network = {
    id, name: input.name, driver: Driver.Bridge, created: new Date().toISOString(), internal: input.internal,
    subnet: formatCidr(subnet), gateway: formatIp(gateway), ipRange: range ? formatCidr(range) : '', bridge: device,
    mtu: parseMtu(input.options[Option.Mtu], ctx.settings.defaultMtu),
    masquerade: input.options[Option.Masquerade] !== 'false', options: { ...input.options }, labels: { ...input.labels },
    predefined: false,
  };
  store.insertNetwork(network);
  try {
    await host.ensureBridge(bridgeSpec(network));
    await host.applyFirewall(firewallState(store));
  } catch (err) {
    store.deleteNetwork(id);
    await host.deleteLink(device).catch((e: unknown) => ctx.logger.warn({ err: e, device }, 'rollback: bridge not removed'));
    await host.applyFirewall(firewallState(store)).catch((e: unknown) => ctx.logger.warn({ err: e }, 'rollback: rules not rewritten'));
    throw err;
  }
  await ctx.dns.listen(network.gateway);
  await publishNetworkEvent(ctx, 'create', network);
  return network;
}

export async function removeNetwork(ctx: NetworkContext, ref: string): Promise<void> {
  const n = findNetwork(ctx.store, ref);
  if (n.predefined) throw new BerthError('permission_denied', `${n.name} is a pre-defined network and cannot be removed`);
  if (ctx.store.endpointsOn(n.id).length > 0) {
    throw new BerthError('failed_precondition', `error while removing network: network ${n.name} id ${n.id} has active endpoints`);
  }
  ctx.store.deleteNetwork(n.id);
  if (n.driver === Driver.Bridge) {
    await ctx.dns.unlisten(n.gateway);
    await ctx.host.deleteLink(n.bridge);
    await ctx.host.applyFirewall(firewallState(ctx.store));
  }
  await publishNetworkEvent(ctx, 'destroy', n);
}

export function listNetworks(ctx: NetworkContext, filters: readonly Filter[]): Network[] {
  checkListFilters(filters);
  return ctx.store.listNetworks().filter((n) => matchesFilters(n, filters, ctx.store.endpointsOn(n.id).length));
}

/** Removes the user-defined networks no endpoint uses; returns their names. */
export async function pruneNetworks(ctx: NetworkContext, filters: readonly Filter[]): Promise<string[]> {
  checkPruneFilters(filters);
  const deleted: string[] = [];
  for (const n of ctx.store.listNetworks()) {
    if (n.predefined || ctx.store.endpointsOn(n.id).length > 0 || !matchesFilters(n, filters, 0)) continue;
    await removeNetwork(ctx, n.id);
    deleted.push(n.name);
  }
  return deleted;
}
