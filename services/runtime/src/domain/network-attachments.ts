/**
 * The networks a container is on, as the runtime keeps them: what was asked for (create's
 * EndpointsConfig, `network connect`) and, while it runs, the endpoint the network service made.
 * The first attachment is the primary one (NetworkMode); its order is the order of joining.
 */

/** Docker's EndpointSettings as asked for: aliases and a static IPv4 address. */
export interface EndpointConfig {
  /** Name or id as asked for; the network's name once resolved. */
  network: string;
  aliases: string[];
  /** A static address, or "". */
  ipv4Address: string;
}

/** The container's side of a network while it runs. */
export interface LiveEndpoint {
  /** CIDR: "10.201.0.2/16". */
  ipv4Address: string;
  gateway: string;
  macAddress: string;
  /** In the container: eth0, eth1 ... */
  interface: string;
}

export interface NetworkAttachment {
  config: EndpointConfig;
  /** The network service's id ("" when no network service resolved it). */
  networkId: string;
  endpoint?: LiveEndpoint;
}

/** A published port: "80/tcp" → host address and port (the chosen one for a random port). */
export interface PublishedPort {
  containerPort: string;
  hostIp: string;
  hostPort: string;
}

/** What changes about a container's networking: its attachments and, while running, its published ports. */
export interface ContainerNetworks {
  networks: NetworkAttachment[];
  ports: PublishedPort[];
}

/** The default bridge: Docker allows neither aliases nor static addresses on it. */
export const DEFAULT_BRIDGE = 'bridge';

export function sameNetwork(a: NetworkAttachment, ref: { id?: string; name?: string }): boolean {
  return (!!ref.id && a.networkId === ref.id) || (!!ref.name && a.config.network === ref.name);
}

/** The attachments with their live endpoints dropped (a stopped container's). */
export function withoutEndpoints(networks: readonly NetworkAttachment[]): NetworkAttachment[] {
  return networks.map(({ config, networkId }) => ({ config, networkId }));
}

/** True when some attachment still carries an endpoint: a sandbox the network service may still hold. */
export function holdsEndpoints(n: ContainerNetworks): boolean {
  return n.ports.length > 0 || n.networks.some((a) => a.endpoint !== undefined);
}
