import { BerthError, newId, type Handlers } from '@berth/kit';
import type { network } from '@berth/proto';

/**
 * A stand-in for the network service: networks in a map, the predefined three, Docker's errors.
 * Endpoints are whatever a test puts in `endpoints` (the real sandboxes are tested in services/network).
 */
export class InMemoryNetworks {
  readonly networks = new Map<string, network.Network>();

  constructor() {
    for (const [name, driver] of [['bridge', 'bridge'], ['host', 'host'], ['none', 'null']] as const) this.add(name, driver, []);
  }

  private add(name: string, driver: string, ipam: network.IpamConfig[], extra: Partial<network.Network> = {}): network.Network {
    const n: network.Network = {
      id: newId(), name, driver, scope: 'local', created: new Date().toISOString(), internal: false, ipam, options: {}, labels: {},
      endpoints: [], bridge: driver === 'bridge' ? `br-${name}` : '', ...extra,
    };
    this.networks.set(n.id, n);
    return n;
  }

  find(ref: string): network.Network {
    const n = [...this.networks.values()].find((x) => x.id === ref || x.name === ref || (ref.length >= 3 && x.id.startsWith(ref)));
    if (!n) throw new BerthError('not_found', `network ${ref} not found`);
    return n;
  }

  handlers(): Partial<Handlers<network.NetworksService>> {
    return {
      createNetwork: async (req) => {
        if ([...this.networks.values()].some((n) => n.name === req.name)) throw new BerthError('already_exists', `network with name ${req.name} already exists`);
        const ipam = req.ipam.length ? req.ipam : [{ subnet: '10.99.0.0/24', gateway: '10.99.0.1', ipRange: '' }];
        return { network: this.add(req.name, req.driver, ipam, { internal: req.internal, labels: req.labels, options: req.options }), warning: '' };
      },
      getNetwork: async (req) => ({ network: this.find(req.id) }),
      listNetworks: async (req) => {
        const names = req.filters.find((f) => f.key === 'name')?.values ?? [];
        return { networks: [...this.networks.values()].filter((n) => names.length === 0 || names.some((v) => n.name.includes(v))) };
      },
      removeNetwork: async (req) => {
        const n = this.find(req.id);
        if (['bridge', 'host', 'none'].includes(n.name)) throw new BerthError('permission_denied', `${n.name} is a pre-defined network and cannot be removed`);
        this.networks.delete(n.id);
        return {};
      },
      pruneNetworks: async () => {
        const deleted = [...this.networks.values()].filter((n) => !['bridge', 'host', 'none'].includes(n.name) && n.endpoints.length === 0);
        for (const n of deleted) this.networks.delete(n.id);
        return { deleted: deleted.map((n) => n.name) };
      },
    };
  }
}
