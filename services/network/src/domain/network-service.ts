import { connectContainer, disconnectContainer } from './connect.js';
import { Mutex, type NetworkContext } from './context.js';
import type { EndpointRequest } from './endpoints.js';
import type { Filter } from './filters.js';
import { firewallState } from './firewall-state.js';
import { findNetwork } from './lookup.js';
import type { Endpoint, Network } from './model.js';
import { createNetwork, listNetworks, pruneNetworks, removeNetwork, type CreateNetworkInput } from './networks.js';
import { ensurePredefined } from './predefined.js';
import { reconcile, type ReconcileReport } from './reconcile.js';
import { setupSandbox, teardownSandbox, type SetupSandboxInput, type SetupSandboxResult } from './sandboxes.js';

export interface NetworkView {
  network: Network;
  endpoints: Endpoint[];
}

/**
 * The network service's use cases behind one lock: every change rewrites kernel state from the
 * database, so changes run one at a time. Reads take no lock.
 */
export class NetworkService {
  private readonly lock = new Mutex();

  constructor(readonly ctx: NetworkContext) {}

  /** The predefined networks, then a full reconcile: what a start does. */
  init(): Promise<ReconcileReport> {
    return this.lock.run(async () => {
      ensurePredefined(this.ctx);
      return reconcile(this.ctx);
    });
  }

  private view(network: Network): NetworkView {
    return { network, endpoints: this.ctx.store.endpointsOn(network.id) };
  }

  createNetwork(input: CreateNetworkInput): Promise<NetworkView> {
    return this.lock.run(async () => this.view(await createNetwork(this.ctx, input)));
  }

  removeNetwork(ref: string): Promise<void> {
    return this.lock.run(() => removeNetwork(this.ctx, ref));
  }

  getNetwork(ref: string): NetworkView {
    return this.view(findNetwork(this.ctx.store, ref));
  }

  listNetworks(filters: readonly Filter[]): NetworkView[] {
    return listNetworks(this.ctx, filters).map((n) => this.view(n));
  }

  pruneNetworks(filters: readonly Filter[]): Promise<string[]> {
    return this.lock.run(() => pruneNetworks(this.ctx, filters));
  }

  setupSandbox(input: SetupSandboxInput): Promise<SetupSandboxResult> {
    return this.lock.run(() => setupSandbox(this.ctx, input));
  }

  teardownSandbox(containerId: string): Promise<void> {
    return this.lock.run(() => teardownSandbox(this.ctx, containerId));
  }

  connectContainer(input: { containerId: string; containerName: string; endpoint: EndpointRequest }): Promise<Endpoint> {
    return this.lock.run(() => connectContainer(this.ctx, input));
  }

  disconnectContainer(input: { containerId: string; network: string; force: boolean }): Promise<void> {
    return this.lock.run(() => disconnectContainer(this.ctx, input));
  }

  reconcile(): Promise<ReconcileReport> {
    return this.lock.run(() => reconcile(this.ctx));
  }

  /** Puts berth's chains and jumps back when something outside changed them (`iptables -F`); true when it did. */
  checkFirewall(): Promise<boolean> {
    return this.lock.run(async () => {
      const repaired = await this.ctx.host.applyFirewall(firewallState(this.ctx.store), { verify: true });
      if (repaired) this.ctx.logger.warn('berth\'s iptables rules were changed from outside: restored');
      return repaired;
    });
  }
}
