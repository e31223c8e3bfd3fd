import { createHash } from 'node:crypto';
import { BerthError } from '@berth/kit';
import type { EndpointSpec } from './host.js';
import { allocateAddress, checkStaticAddress } from './ipam.js';
import { formatIp, macFor, parseCidr, parseIp } from './ipv4.js';
import { Driver, type Endpoint, type Network } from './model.js';
import type { NetworkStore } from './store.js';

export interface EndpointRequest {
  /** Name or id. */
  network: string;
  aliases: string[];
  /** A static address, or "". */
  ipv4Address: string;
}

/** `bv` + 11 hex digits of sha256(container/network): stable, unique, within IFNAMSIZ. */
export function hostInterfaceName(containerId: string, networkId: string): string {
  return `bv${createHash('sha256').update(`${containerId}/${networkId}`).digest('hex').slice(0, 11)}`;
}

/**
 * Chooses the endpoint's address (static, or the lowest free one) and builds its row. The caller
 * inserts it in the same transaction, so the address is taken the moment it is chosen.
 */
export function planEndpoint(
  store: NetworkStore,
  n: Network,
  owner: { containerId: string; name: string },
  req: Pick<EndpointRequest, 'aliases' | 'ipv4Address'>,
  iface: string,
  seq: number,
): Endpoint {
  if (n.driver !== Driver.Bridge) throw new BerthError('invalid_argument', `network ${n.name} has no endpoints`);
  const subnet = parseCidr(n.subnet);
  const space = { subnet, range: n.ipRange ? parseCidr(n.ipRange) : undefined, gateway: parseIp(n.gateway) };
  const used = new Set(store.endpointsOn(n.id).map((e) => parseIp(e.address)));
  let ip: number;
  if (req.ipv4Address) {
    ip = parseIp(req.ipv4Address.split('/')[0]!);
    checkStaticAddress(space, ip, used);
  } else {
    ip = allocateAddress(space, used);
  }
  return {
    containerId: owner.containerId, networkId: n.id, name: owner.name, address: formatIp(ip), prefix: subnet.prefix,
    mac: macFor(ip), gateway: n.gateway, aliases: [...new Set(req.aliases.filter(Boolean))], interface: iface,
    hostInterface: hostInterfaceName(owner.containerId, n.id), seq,
  };
}

/** The endpoint that holds the default route: the first joined to a network that is not internal. */
export function defaultRouteEndpoint(endpoints: readonly Endpoint[], networks: (id: string) => Network | undefined): Endpoint | undefined {
  return [...endpoints].sort((a, b) => a.seq - b.seq).find((e) => networks(e.networkId)?.internal === false);
}

export function endpointSpec(ep: Endpoint, n: Network, holdsDefaultRoute: boolean): EndpointSpec {
  return {
    containerId: ep.containerId, hostInterface: ep.hostInterface, bridge: n.bridge, interface: ep.interface,
    address: `${ep.address}/${ep.prefix}`, mac: ep.mac, mtu: n.mtu,
    ...(holdsDefaultRoute ? { defaultGateway: n.gateway } : {}),
  };
}

/** eth0, eth1 ...: the lowest index not in use in the sandbox. */
export function nextInterface(endpoints: readonly Endpoint[]): string {
  const used = new Set(endpoints.map((e) => e.interface));
  for (let i = 0; ; i++) if (!used.has(`eth${i}`)) return `eth${i}`;
}
