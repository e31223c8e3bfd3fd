/**
 * The kernel objects the network service drives, as one small interface: bridges, network
 * namespaces, veth endpoints, routes and berth's firewall chains. `LinuxHost` implements it with
 * iproute2, util-linux and iptables-restore; the domain never spawns anything itself.
 */
export interface BridgeSpec {
  networkId: string;
  device: string;
  /** The gateway with the subnet's prefix: "10.201.0.1/16". */
  address: string;
  mtu: number;
}

export interface EndpointSpec {
  containerId: string;
  hostInterface: string;
  bridge: string;
  /** Name inside the sandbox: eth0, eth1 ... */
  interface: string;
  /** CIDR: "10.201.0.2/16". */
  address: string;
  mac: string;
  mtu: number;
  /** Set when this endpoint carries the sandbox's default route. */
  defaultGateway?: string;
}

export interface FirewallBridge {
  device: string;
  subnet: string;
  internal: boolean;
  masquerade: boolean;
}

export interface FirewallPort {
  device: string;
  containerIp: string;
  protocol: 'tcp' | 'udp';
  containerPort: number;
  /** "0.0.0.0": any of the host's addresses. */
  hostIp: string;
  hostPort: number;
}

/** Everything berth's chains hold, derived from the database alone. */
export interface FirewallState {
  bridges: FirewallBridge[];
  ports: FirewallPort[];
}

/** A link this instance made (found by its alias), with what it belongs to. */
export interface OwnedLink {
  name: string;
  kind: 'bridge' | 'endpoint';
  /** A network id prefix for bridges, a container id prefix for endpoints. */
  owner: string;
}

export interface Host {
  /** Creates or repairs the bridge (exists, has its address, is up); true when anything was done. */
  ensureBridge(bridge: BridgeSpec): Promise<boolean>;
  /** Is there a device of this name that this instance did not make? */
  foreignLinkExists(device: string): Promise<boolean>;
  deleteLink(device: string): Promise<void>;
  linkExists(device: string): boolean;
  ownedLinks(): Promise<OwnedLink[]>;

  /** A new netns file with lo up and these endpoints (veths, addresses, the default route). */
  createSandbox(file: string, endpoints: EndpointSpec[]): Promise<void>;
  deleteNetns(file: string): Promise<void>;
  netnsAlive(file: string): Promise<boolean>;
  netnsFiles(): Promise<string[]>;

  addEndpoint(netnsFile: string, endpoint: EndpointSpec): Promise<void>;
  /**
   * Removes a sandbox's netns and host veths in the background (deleting a veth takes the kernel
   * tens of milliseconds): the caller does not wait. Creating a link or netns of one of these names,
   * and listing links or netns files, wait for it first. Failures go to `onError`.
   */
  releaseSandbox(netnsFile: string, hostInterfaces: string[], onError: (err: unknown) => void): void;
  /** Resolves when no background removal is left. */
  settle(): Promise<void>;
  setDefaultRoute(netnsFile: string, route: { gateway: string; interface: string }): Promise<void>;

  /** Can a socket of this protocol bind ip:port on the host right now? (Probed by binding briefly.) */
  portFree(protocol: 'tcp' | 'udp', ip: string, port: number): Promise<boolean>;
  /** A port the kernel considers free for ip (bind to port 0). */
  freePort(protocol: 'tcp' | 'udp', ip: string): Promise<number>;

  /** The host's IPv4 routes (CIDR), to keep automatic subnets clear of them. */
  routes(): Promise<string[]>;
  enableForwarding(): Promise<void>;
  /**
   * Rewrites berth's chains atomically from `state`. `verify` also reads the live rules and repairs
   * the jumps from the built-in chains; returns whether the live rules differed.
   */
  applyFirewall(state: FirewallState, options?: { verify?: boolean }): Promise<boolean>;
}
