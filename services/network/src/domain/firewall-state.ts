import type { FirewallState } from './host.js';
import { Driver } from './model.js';
import type { NetworkStore } from './store.js';

/** berth's firewall, computed from the database alone: bridges, and published ports with their targets. */
export function firewallState(store: NetworkStore): FirewallState {
  const bridges = store.listNetworks().filter((n) => n.driver === Driver.Bridge);
  const byId = new Map(bridges.map((n) => [n.id, n]));
  const endpoints = new Map(store.listEndpoints().map((e) => [`${e.containerId}/${e.networkId}`, e]));
  const ports: FirewallState['ports'] = [];
  for (const p of store.listPorts()) {
    const net = byId.get(p.networkId);
    const ep = endpoints.get(`${p.containerId}/${p.networkId}`);
    if (!net || !ep || net.internal) continue;
    ports.push({
      device: net.bridge, containerIp: ep.address, protocol: p.protocol, containerPort: p.containerPort,
      hostIp: p.hostIp, hostPort: p.hostPort,
    });
  }
  return {
    bridges: bridges.map((n) => ({ device: n.bridge, subnet: n.subnet, internal: n.internal, masquerade: n.masquerade })),
    ports,
  };
}
