import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';

interface PortOptions {
  container: string;
  /** "80" or "80/udp". */
  port?: string;
}

type PortMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

/** "80/tcp -> 0.0.0.0:32768" lines, sorted by port as docker prints them; only the host side for one port. */
export function portLines(ports: PortMap, only?: string): string[] {
  const want = only && (only.includes('/') ? only : `${only}/tcp`);
  const keys = Object.keys(ports)
    .filter((k) => !want || k === want)
    .sort((a, b) => Number(a.split('/')[0]) - Number(b.split('/')[0]) || a.localeCompare(b));
  const lines: string[] = [];
  for (const k of keys) {
    for (const b of ports[k] ?? []) {
      const host = `${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp}:${b.HostPort}`;
      lines.push(want ? host : `${k} -> ${host}`);
    }
  }
  return lines;
}

export const portCommand: Command<PortOptions> = {
  name: 'port',
  usage: 'berth port CONTAINER [PRIVATE_PORT[/PROTO]]',
  summary: 'List port mappings or a specific mapping for the container',
  flags: [],
  parse(args) {
    const [container, port, ...extra] = args.positionals;
    if (container === undefined || extra.length > 0) throw new UsageError('"port" requires at least 1 and at most 2 arguments.');
    return { container, ...(port !== undefined && { port }) };
  },
  async action(o, { client, stdout, stderr }) {
    const c = await client.json<{ NetworkSettings?: { Ports?: PortMap | null } }>('GET', `/containers/${pathName(o.container)}/json`);
    const lines = portLines(c.NetworkSettings?.Ports ?? {}, o.port);
    if (o.port && lines.length === 0) {
      stderr.write(`Error: No public port '${o.port.includes('/') ? o.port : `${o.port}/tcp`}' published for ${o.container}\n`);
      return 1;
    }
    stdout.write(lines.map((l) => `${l}\n`).join(''));
    return 0;
  },
};
