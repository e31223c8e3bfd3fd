import { BerthError, invalidArgument } from '@berth/kit';
import type { Host } from './host.js';
import { parseIp } from './ipv4.js';
import type { PortMapping, Protocol } from './model.js';

const ANY = '0.0.0.0';

function clash(a: PortMapping, b: PortMapping): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp === b.hostIp || a.hostIp === ANY || b.hostIp === ANY);
}

function portNumber(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw invalidArgument(`invalid ${what}: ${n}`);
  return n;
}

const inUse = (ip: string, port: number) =>
  new BerthError('failed_precondition', `Bind for ${ip}:${port} failed: port is already allocated`);

/**
 * Settles the host side of each requested mapping: protocol and address defaults, a free port
 * for host port 0, and refusal of a port another mapping holds or a host process has bound.
 * IPv6 host addresses are skipped (berth's networks are IPv4).
 */
export async function choosePorts(host: Host, requested: readonly PortMapping[], existing: readonly PortMapping[]): Promise<PortMapping[]> {
  const chosen: PortMapping[] = [];
  for (const r of requested) {
    const protocol = (r.protocol || 'tcp').toLowerCase() as Protocol;
    if (protocol !== 'tcp' && protocol !== 'udp') throw invalidArgument(`unsupported protocol ${JSON.stringify(r.protocol)}`);
    if (r.hostIp.includes(':')) continue;
    const hostIp = r.hostIp || ANY;
    parseIp(hostIp);
    const containerPort = portNumber(r.containerPort, 'container port');
    const taken = [...existing, ...chosen];
    let hostPort = r.hostPort;
    if (hostPort) {
      portNumber(hostPort, 'host port');
      const m = { protocol, containerPort, hostIp, hostPort };
      if (taken.some((t) => clash(t, m)) || !(await host.portFree(protocol, hostIp, hostPort))) throw inUse(hostIp, hostPort);
    } else {
      for (let attempt = 0; ; attempt++) {
        hostPort = await host.freePort(protocol, hostIp);
        if (!taken.some((t) => clash(t, { protocol, containerPort, hostIp, hostPort }))) break;
        if (attempt > 64) throw new BerthError('resource_exhausted', `no free ${protocol} port on ${hostIp}`);
      }
    }
    chosen.push({ protocol, containerPort, hostIp, hostPort });
  }
  return chosen;
}
