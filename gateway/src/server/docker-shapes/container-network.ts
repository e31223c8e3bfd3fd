import { createHash } from 'node:crypto';
import type { runtime } from '@berth/proto';

/**
 * The network part of container shapes, from what the runtime records: the networks a container is
 * on (with their endpoints while it runs) and the ports it published (with the host ports chosen).
 */
export function networkNameForMode(mode: string): string | undefined {
  if (mode === '' || mode === 'default') return 'bridge';
  if (mode.startsWith('container:')) return undefined;
  return mode;
}

/** Endpoint ids are not kept by berth: a stable hash of container and network stands in (the same in network inspect). */
export function endpointId(containerId: string, networkId: string): string {
  return createHash('sha256').update(`endpoint/${containerId}/${networkId}`).digest('hex');
}

export function emptyEndpoint(): Record<string, unknown> {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** "10.0.0.2/24" → ["10.0.0.2", 24]. */
function splitCidr(cidr: string): [string, number] {
  const [ip = '', prefix = '0'] = cidr.split('/');
  return [ip, Number(prefix)];
}

/** Docker's EndpointSettings of one attachment; user-defined networks list the names the container answers to. */
function endpointSettings(c: runtime.Container, a: runtime.NetworkAttachment): Record<string, unknown> {
  const cfg = a.config ?? { network: '', aliases: [], ipv4Address: '' };
  const ep = a.endpoint;
  const [ip, prefix] = ep ? splitCidr(ep.ipv4Address) : ['', 0];
  const userDefined = cfg.network !== 'bridge';
  const dnsNames = [c.name, ...cfg.aliases, c.id.slice(0, 12), c.spec?.hostname ?? ''].filter(Boolean);
  return {
    ...emptyEndpoint(),
    IPAMConfig: cfg.ipv4Address ? { IPv4Address: cfg.ipv4Address } : null,
    Aliases: cfg.aliases.length > 0 ? cfg.aliases : null,
    MacAddress: ep?.macAddress ?? '',
    NetworkID: a.networkId,
    EndpointID: ep ? endpointId(c.id, a.networkId) : '',
    Gateway: ep?.gateway ?? '',
    IPAddress: ip,
    IPPrefixLen: prefix,
    DNSNames: userDefined ? [...new Set(dnsNames)] : null,
  };
}

/** NetworkSettings.Networks: the mode's network for none/host, nothing for container:<id>, else the attachments. */
export function networksFor(c: runtime.Container): Record<string, unknown> {
  const mode = c.spec?.networkMode ?? 'default';
  const name = networkNameForMode(mode);
  if (name === undefined) return {};
  if (name === 'none' || name === 'host') return { [name]: emptyEndpoint() };
  return Object.fromEntries(c.networks.map((a) => [a.config?.network ?? a.networkId, endpointSettings(c, a)]));
}

/** The pre-1.44 top-level NetworkSettings fields, which Docker fills from the default bridge only. */
export function legacyEndpointFields(c: runtime.Container): Record<string, unknown> {
  const ep = c.networks.find((a) => a.config?.network === 'bridge' && a.endpoint);
  const [ip, prefix] = ep?.endpoint ? splitCidr(ep.endpoint.ipv4Address) : ['', 0];
  return {
    EndpointID: ep ? endpointId(c.id, ep.networkId) : '',
    Gateway: ep?.endpoint?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: ip,
    IPPrefixLen: prefix,
    IPv6Gateway: '',
    MacAddress: ep?.endpoint?.macAddress ?? '',
  };
}

/** NetworkSettings.Ports while running: every exposed or published port, with its host bindings or null. */
export function portMap(c: runtime.Container, exposed: string[], running: boolean): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const map: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  if (!running) return map;
  for (const p of exposed) map[p] = null;
  for (const p of c.ports) (map[p.containerPort] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: p.hostPort });
  return map;
}

/** `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}` as the runtime got it (HostConfig.PortBindings). */
export function portBindingMap(spec: runtime.ContainerSpec): Record<string, Array<{ HostIp: string; HostPort: string }>> {
  const map: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const b of spec.portBindings) (map[b.containerPort] ??= []).push({ HostIp: b.hostIp, HostPort: b.hostPort });
  return map;
}

export interface DockerPort {
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
  IP?: string;
}

/** The Ports of a `ps` entry: published ports (as chosen) when running, and the exposed ones not published. */
export function listPorts(c: runtime.Container, exposed: string[], running: boolean): DockerPort[] {
  const ports: DockerPort[] = [];
  const bound = new Set<string>();
  if (running) {
    for (const p of c.ports) {
      const [port, proto = 'tcp'] = p.containerPort.split('/');
      bound.add(p.containerPort);
      ports.push({ IP: p.hostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(p.hostPort), Type: proto });
    }
  }
  for (const p of exposed) {
    if (bound.has(p)) continue;
    const [port, proto = 'tcp'] = p.split('/');
    ports.push({ PrivatePort: Number(port), Type: proto });
  }
  return ports;
}
