import { BerthError, clientFor, type BerthConfig, type Client } from '@berth/kit';
import { network } from '@berth/proto';
import type { Container } from '../domain/container.js';
import type { LiveEndpoint, NetworkAttachment } from '../domain/network-attachments.js';
import { endpointAliases, portRequests } from '../domain/network-request.js';
import type { NetworkRef, NetworkSandbox, NetworkSetup } from '../domain/ports.js';

function liveEndpoint(e: network.Endpoint): LiveEndpoint {
  return { ipv4Address: e.ipv4Address, gateway: e.gateway, macAddress: e.macAddress, interface: e.interface };
}

/** The network service's sandboxes (netns + endpoints + port mappings) over gRPC. */
export class GrpcNetworkSandbox implements NetworkSandbox {
  private readonly client: Client<typeof network.NetworksService>;

  constructor(address: string, config?: Pick<BerthConfig, 'tls'>) {
    this.client = clientFor(network.NetworksService, address, config);
  }

  /** Every network the container is on (first = primary), its aliases, static addresses and ports. */
  async setup(c: Container): Promise<NetworkSetup> {
    const res = await this.client.setupSandbox({
      containerId: c.id,
      containerName: c.name,
      hostname: c.spec.hostname,
      endpoints: c.networks.map((a) => this.endpointRequest(c, a)),
      ports: portRequests(c),
    });
    return {
      netnsPath: res.netnsPath,
      dnsServers: res.dnsServers,
      dnsSearch: res.dnsSearch,
      hosts: res.hosts,
      endpoints: res.endpoints.map((e) => ({ networkId: e.networkId, endpoint: liveEndpoint(e) })),
      ports: res.ports.map((p) => ({ containerPort: `${p.containerPort}/${p.protocol}`, hostIp: p.hostIp, hostPort: String(p.hostPort) })),
    };
  }

  async teardown(c: Container): Promise<void> {
    await this.client.teardownSandbox({ containerId: c.id });
  }

  async resolve(ref: string): Promise<NetworkRef> {
    const { network: n } = await this.client.getNetwork({ id: ref });
    if (!n) throw new BerthError('not_found', `network ${ref} not found`);
    return { id: n.id, name: n.name, driver: n.driver };
  }

  async connect(c: Container, a: NetworkAttachment): Promise<LiveEndpoint> {
    const { endpoint } = await this.client.connectContainer({ containerId: c.id, containerName: c.name, endpoint: this.endpointRequest(c, a) });
    if (!endpoint) throw new BerthError('internal', 'the network service returned no endpoint');
    return liveEndpoint(endpoint);
  }

  async disconnect(c: Container, networkId: string, force: boolean): Promise<void> {
    await this.client.disconnectContainer({ containerId: c.id, network: networkId, force });
  }

  close(): void {
    this.client.close();
  }

  private endpointRequest(c: Container, a: NetworkAttachment): network.EndpointRequest {
    return { network: a.networkId || a.config.network, aliases: endpointAliases(c, a), ipv4Address: a.config.ipv4Address };
  }
}
