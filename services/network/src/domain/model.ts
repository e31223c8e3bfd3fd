/**
 * What the network service knows, in its own terms (no generated proto types here). A network is a
 * bridge (or one of the predefined host/none networks); a sandbox is a container's network
 * namespace; an endpoint joins a sandbox to a network; a port mapping publishes a container port.
 */
export const Driver = { Bridge: 'bridge', Host: 'host', Null: 'null' } as const;
export type Driver = (typeof Driver)[keyof typeof Driver];

export const PREDEFINED = ['bridge', 'host', 'none'] as const;

export interface Network {
  id: string;
  name: string;
  driver: Driver;
  /** RFC 3339. */
  created: string;
  internal: boolean;
  /** CIDR strings; empty for host/none. */
  subnet: string;
  gateway: string;
  ipRange: string;
  /** The bridge device; empty for host/none. */
  bridge: string;
  mtu: number;
  /** Outbound NAT (com.docker.network.bridge.enable_ip_masquerade). */
  masquerade: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  predefined: boolean;
}

export interface Sandbox {
  containerId: string;
  name: string;
  hostname: string;
  netnsPath: string;
  created: string;
}

export interface Endpoint {
  containerId: string;
  networkId: string;
  /** The container's name (without Docker's leading slash). */
  name: string;
  /** Dotted quad; the prefix is the network's. */
  address: string;
  prefix: number;
  mac: string;
  gateway: string;
  aliases: string[];
  /** In the container: eth0, eth1 ... */
  interface: string;
  /** The host side of the veth pair, on the bridge. */
  hostInterface: string;
  /** Order of joining: the lowest non-internal one holds the default route. */
  seq: number;
}

export type Protocol = 'tcp' | 'udp';

export interface PortMapping {
  protocol: Protocol;
  containerPort: number;
  /** "0.0.0.0" for all of the host's addresses. */
  hostIp: string;
  hostPort: number;
}

export interface StoredPortMapping extends PortMapping {
  containerId: string;
  /** The network whose endpoint address the port is forwarded to. */
  networkId: string;
}

/** Option keys Docker clients send and berth honours. */
export const Option = {
  BridgeName: 'com.docker.network.bridge.name',
  Mtu: 'com.docker.network.driver.mtu',
  Masquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  DefaultBridge: 'com.docker.network.bridge.default_bridge',
} as const;
