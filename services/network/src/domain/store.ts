import type { Endpoint, Network, Sandbox, StoredPortMapping } from './model.js';

/**
 * The network service's durable state. Reads and writes are synchronous (SQLite); `transaction`
 * makes a group of writes atomic. The kernel is made to match this, never the other way round.
 */
export interface NetworkStore {
  transaction<T>(fn: () => T): T;

  insertNetwork(n: Network): void;
  updateNetwork(n: Network): void;
  deleteNetwork(id: string): void;
  getNetwork(id: string): Network | undefined;
  networkByName(name: string): Network | undefined;
  listNetworks(): Network[];

  insertSandbox(s: Sandbox): void;
  deleteSandbox(containerId: string): void;
  getSandbox(containerId: string): Sandbox | undefined;
  listSandboxes(): Sandbox[];

  insertEndpoint(e: Endpoint): void;
  deleteEndpoint(containerId: string, networkId: string): void;
  endpointsOf(containerId: string): Endpoint[];
  endpointsOn(networkId: string): Endpoint[];
  endpointByAddress(address: string): Endpoint | undefined;
  listEndpoints(): Endpoint[];

  insertPort(p: StoredPortMapping): void;
  portsOf(containerId: string): StoredPortMapping[];
  listPorts(): StoredPortMapping[];
  deletePorts(containerId: string, networkId?: string): void;
}
