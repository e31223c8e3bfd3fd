import type { runtime } from '@berth/proto';

/**
 * The network part of container shapes. Until the gateway asks the network service for endpoints
 * (the bridge issue), endpoints are shown with empty addresses under the network the mode names.
 */
export function networkNameForMode(mode: string): string | undefined {
  if (mode === '' || mode === 'default') return 'bridge';
  if (mode.startsWith('container:')) return undefined;
  return mode;
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

export function networksFor(spec: runtime.ContainerSpec): Record<string, unknown> {
  const name = networkNameForMode(spec.networkMode);
  return name === undefined ? {} : { [name]: emptyEndpoint() };
}

/** `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}` as the runtime got it. */
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

/** The Ports of a `ps` entry: published ports when running, otherwise the exposed ones. */
export function listPorts(spec: runtime.ContainerSpec, exposed: string[], running: boolean): DockerPort[] {
  const ports: DockerPort[] = [];
  const bound = new Set<string>();
  if (running) {
    for (const b of spec.portBindings) {
      const [port, proto = 'tcp'] = b.containerPort.split('/');
      const publicPort = Number(b.hostPort);
      if (!Number.isInteger(publicPort) || publicPort <= 0) continue;
      bound.add(b.containerPort);
      ports.push({ IP: b.hostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: publicPort, Type: proto });
    }
  }
  for (const p of exposed) {
    if (bound.has(p)) continue;
    const [port, proto = 'tcp'] = p.split('/');
    ports.push({ PrivatePort: Number(port), Type: proto });
  }
  return ports;
}
