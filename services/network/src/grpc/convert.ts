import type { network } from '@berth/proto';
import type { Endpoint, Network, PortMapping } from '../domain/model.js';
import type { NetworkView } from '../domain/network-service.js';

/** Domain ↔ proto for the network service. */
export function endpointOut(e: Endpoint): network.Endpoint {
  return {
    containerId: e.containerId, networkId: e.networkId, name: e.name, ipv4Address: `${e.address}/${e.prefix}`,
    macAddress: e.mac, gateway: e.gateway, aliases: e.aliases, interface: e.interface, hostInterface: e.hostInterface,
  };
}

export function networkOut(v: NetworkView): network.Network {
  const n: Network = v.network;
  return {
    id: n.id, name: n.name, driver: n.driver, scope: 'local', created: n.created, internal: n.internal,
    ipam: n.subnet ? [{ subnet: n.subnet, gateway: n.gateway, ipRange: n.ipRange }] : [],
    options: n.options, labels: n.labels, endpoints: v.endpoints.map(endpointOut), bridge: n.bridge,
  };
}

export function portOut(p: PortMapping): network.PortMapping {
  return { protocol: p.protocol, containerPort: p.containerPort, hostIp: p.hostIp, hostPort: p.hostPort };
}

export function portIn(p: network.PortMapping): PortMapping {
  return { protocol: p.protocol as PortMapping['protocol'], containerPort: p.containerPort, hostIp: p.hostIp, hostPort: p.hostPort };
}

export function endpointRequestIn(e: network.EndpointRequest | undefined): { network: string; aliases: string[]; ipv4Address: string } {
  return { network: e?.network ?? '', aliases: e?.aliases ?? [], ipv4Address: e?.ipv4Address ?? '' };
}
