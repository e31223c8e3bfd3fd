import type { EventPublisher, Logger } from '@berth/kit';
import type { Host } from './host.js';
import type { Cidr } from './ipv4.js';
import type { NetworkStore } from './store.js';

/** What the service was configured with, settled once at start. */
export interface Settings {
  /** The default bridge's device ("berth0") and subnet ("10.201.0.0/16"). */
  bridgeName: string;
  bridgeSubnet: string;
  /** Where sandboxes' netns files live: `<runRoot>/netns`. */
  netnsDir: string;
  /** Pools for networks created without a subnet, walked in order, and the size of each block. */
  subnetPools: Cidr[];
  autoPrefix: number;
  defaultMtu: number;
}

/** The embedded DNS server as the domain sees it: one listener per bridge gateway address. */
export interface DnsListeners {
  /** Starts answering on ip:53; false (and logged) when the address cannot be bound. */
  listen(ip: string): Promise<boolean>;
  unlisten(ip: string): Promise<void>;
  serving(ip: string): boolean;
}

/** One lock for every change: kernel state is rewritten from the database, so changes never interleave. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.then(
      () => undefined,
      () => undefined, // the caller sees the failure through `result`; the chain only orders calls
    );
    return result;
  }
}

export interface NetworkContext {
  store: NetworkStore;
  host: Host;
  dns: DnsListeners;
  events: EventPublisher;
  logger: Logger;
  settings: Settings;
}
