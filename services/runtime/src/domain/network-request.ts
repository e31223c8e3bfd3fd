import { BerthError } from '@berth/kit';
import type { Container } from './container.js';
import { DEFAULT_BRIDGE, type NetworkAttachment } from './network-attachments.js';

/** One port to publish: container port and protocol, host address ("" = all) and port (0 = any free one). */
export interface PortRequest {
  protocol: string;
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

/** "80/tcp" → [80, "tcp"]; ranges ("8000-8010/tcp") are refused. */
export function parsePortKey(key: string): [number, string] {
  const [port = '', proto = 'tcp'] = key.split('/');
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new BerthError('invalid_argument', `invalid port specification: "${key}" (port ranges are not supported)`);
  }
  return [Number(port), proto.toLowerCase()];
}

function hostPortOf(value: string, key: string): number {
  if (value === '') return 0;
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new BerthError('invalid_argument', `invalid host port "${value}" for ${key} (port ranges are not supported)`);
  }
  return Number(value);
}

/**
 * Docker's published ports: every PortBindings entry (host port "" or "0": a free one), and with
 * PublishAllPorts (`-P`) every exposed port of the image and the request that has no binding, on
 * a free host port of all addresses.
 */
export function portRequests(c: Container): PortRequest[] {
  const out: PortRequest[] = [];
  const bound = new Set<string>();
  for (const b of c.spec.portBindings) {
    const [containerPort, protocol] = parsePortKey(b.containerPort);
    bound.add(`${containerPort}/${protocol}`);
    out.push({ protocol, containerPort, hostIp: b.hostIp, hostPort: hostPortOf(b.hostPort, b.containerPort) });
  }
  if (c.spec.publishAllPorts) {
    for (const key of c.spec.exposedPorts) {
      const [containerPort, protocol] = parsePortKey(key);
      if (bound.has(`${containerPort}/${protocol}`)) continue;
      bound.add(`${containerPort}/${protocol}`);
      out.push({ protocol, containerPort, hostIp: '', hostPort: 0 });
    }
  }
  return out;
}

/**
 * The names a container answers to on a network, as Docker gives them on user-defined networks:
 * the aliases asked for, its name and its short id (the default bridge takes no aliases).
 */
export function endpointAliases(c: Container, a: NetworkAttachment): string[] {
  if (a.config.network === DEFAULT_BRIDGE) return [];
  return [...new Set([...a.config.aliases, c.name, c.id.slice(0, 12)].filter(Boolean))];
}
