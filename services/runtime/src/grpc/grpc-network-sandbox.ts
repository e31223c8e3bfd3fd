import { createClient, type Client } from '@berth/kit';
import { network } from '@berth/proto';
import type { Container } from '../domain/container.js';
import { networkModeOf } from '../domain/network-mode.js';
import type { NetworkSandbox, NetworkSetup } from '../domain/ports.js';

/** "80/tcp" → [80, "tcp"]. */
function portProto(spec: string): [number, string] {
  const [port = '', proto = 'tcp'] = spec.split('/');
  return [Number(port), proto];
}

/** The network service's sandboxes (netns + endpoints + port mappings) over gRPC. */
export class GrpcNetworkSandbox implements NetworkSandbox {
  private readonly client: Client<typeof network.NetworksService>;

  constructor(address: string) {
    this.client = createClient(network.NetworksService, address);
  }

  async setup(c: Container): Promise<NetworkSetup> {
    const mode = networkModeOf(c.spec.networkMode);
    const ports = c.spec.portBindings.map((b) => {
      const [containerPort, protocol] = portProto(b.containerPort);
      return { protocol, containerPort, hostIp: b.hostIp, hostPort: Number(b.hostPort) || 0 };
    });
    if (c.spec.publishAllPorts) {
      for (const p of c.spec.exposedPorts) {
        const [containerPort, protocol] = portProto(p);
        if (!ports.some((x) => x.containerPort === containerPort && x.protocol === protocol)) {
          ports.push({ protocol, containerPort, hostIp: '', hostPort: 0 });
        }
      }
    }
    const res = await this.client.setupSandbox({
      containerId: c.id,
      containerName: c.name,
      hostname: c.spec.hostname,
      endpoints: [{ network: mode.kind === 'network' ? mode.name : 'bridge', aliases: [], ipv4Address: '' }],
      ports,
    });
    return { netnsPath: res.netnsPath, dnsServers: res.dnsServers, dnsSearch: res.dnsSearch, hosts: res.hosts };
  }

  async teardown(c: Container): Promise<void> {
    await this.client.teardownSandbox({ containerId: c.id });
  }

  close(): void {
    this.client.close();
  }
}
