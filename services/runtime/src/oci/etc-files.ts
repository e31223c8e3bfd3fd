import { existsSync } from 'node:fs';
import { readSmall, writeSmall } from './small-files.js';
import path from 'node:path';
import type { NetworkSetup } from '../domain/ports.js';

const LOCALHOST_LINES = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export interface EtcPaths {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

export function etcPaths(containerDir: string): EtcPaths {
  return {
    hostname: path.join(containerDir, 'hostname'),
    hosts: path.join(containerDir, 'hosts'),
    resolvConf: path.join(containerDir, 'resolv.conf'),
  };
}

/** "host:ip" (Docker's --add-host) → "ip\thost". */
function extraHostLine(entry: string): string {
  const i = entry.indexOf(':');
  return `${entry.slice(i + 1)}\t${entry.slice(0, i)}`;
}

/** resolv.conf: the host's, with nameservers/search replaced when the container or its network says so. */
export function resolvConf(host: string, dns: string[], search: string[]): string {
  if (dns.length === 0 && search.length === 0) return host;
  const kept = host.split('\n').filter((l) => !(dns.length && /^\s*nameserver\s/.test(l)) && !(search.length && /^\s*(search|domain)\s/.test(l)));
  const lines = [...(search.length ? [`search ${search.join(' ')}`] : []), ...dns.map((d) => `nameserver ${d}`), ...kept];
  return `${lines.filter((l) => l.trim() !== '').join('\n')}\n`;
}

/** The mode of the /etc files in a bundle. */
export const ETC_FILE_MODE = 0o644;

function writeEtc(file: string, text: string): void {
  writeSmall(file, text, ETC_FILE_MODE);
}

/**
 * Writes the container's /etc/hostname, /etc/hosts and /etc/resolv.conf into its directory, to be
 * bind-mounted. Host networking binds the host's own hosts and resolv.conf instead (read-only).
 */
export async function writeEtcFiles(
  dir: string,
  opts: { hostname: string; extraHosts: string[]; dns: string[]; network: NetworkSetup; hostEtc?: string },
): Promise<EtcPaths> {
  const hostEtc = opts.hostEtc ?? '/etc';
  const paths = etcPaths(dir);
  writeEtc(paths.hostname, `${opts.hostname}\n`);
  if (opts.network.netnsPath === 'host') {
    return { hostname: paths.hostname, hosts: path.join(hostEtc, 'hosts'), resolvConf: path.join(hostEtc, 'resolv.conf') };
  }
  const shared = opts.network.shareFrom && etcPaths(opts.network.shareFrom.dir);
  if (shared && existsSync(shared.hosts) && existsSync(shared.resolvConf)) {
    // `--network container:<x>`: x's hosts and resolv.conf, as Docker shares them.
    return { hostname: paths.hostname, hosts: shared.hosts, resolvConf: shared.resolvConf };
  }
  const hosts = [...LOCALHOST_LINES, ...opts.network.hosts, ...opts.extraHosts.map(extraHostLine)];
  writeEtc(paths.hosts, `${hosts.join('\n')}\n`);
  const host = readSmall(path.join(hostEtc, 'resolv.conf')) ?? '';
  const dns = opts.dns.length ? opts.dns : opts.network.dnsServers;
  writeEtc(paths.resolvConf, resolvConf(host, dns, opts.network.dnsSearch));
  return paths;
}
