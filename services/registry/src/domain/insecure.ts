import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { BerthError } from '@berth/kit';

/** Loopback is insecure by default, as in Docker (which lists 127.0.0.0/8); berth adds ::1 and localhost. */
const DEFAULT_CIDRS = ['127.0.0.0/8', '::1/128'];

/** Splits "host:port", "[v6]:port", "host" into the bare host (IPv6 without brackets). */
export function hostOnly(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const colon = hostPort.lastIndexOf(':');
  return colon >= 0 && hostPort.indexOf(':') === colon ? hostPort.slice(0, colon) : hostPort;
}

/**
 * Which registries may be spoken to over plain HTTP: `config.registry.insecure` entries are
 * "host", "host:port" or CIDRs; loopback always is. Host names are matched by name; they are
 * resolved (to match CIDRs) only when the operator configured CIDRs of their own.
 */
export class InsecureRegistries {
  private readonly names = new Set<string>();
  private readonly defaults = new BlockList();
  private readonly configured = new BlockList();
  private hasConfiguredCidrs = false;

  constructor(entries: readonly string[] = []) {
    for (const cidr of DEFAULT_CIDRS) addCidr(this.defaults, cidr);
    for (const raw of entries) {
      const entry = raw.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '').toLowerCase();
      if (entry === '') continue;
      if (/^[0-9a-f.:]+\/[0-9]+$/.test(entry)) {
        addCidr(this.configured, entry);
        this.hasConfiguredCidrs = true;
      } else {
        this.names.add(entry);
      }
    }
  }

  /** True when `registryHost` ("127.0.0.1:5000", "reg.local", "[::1]:5000") may use http. */
  async isInsecure(registryHost: string): Promise<boolean> {
    const hostPort = registryHost.toLowerCase();
    const host = hostOnly(hostPort);
    if (this.names.has(hostPort) || this.names.has(host) || host === 'localhost') return true;
    const family = isIP(host);
    if (family !== 0) return this.matches(host, family);
    if (!this.hasConfiguredCidrs) return false;
    try {
      const addresses = await lookup(host, { all: true });
      return addresses.some((a) => this.matches(a.address, a.family));
    } catch {
      // An unresolvable name matches no CIDR; the request itself will report it unreachable.
      return false;
    }
  }

  private matches(ip: string, family: number): boolean {
    const type = family === 6 ? 'ipv6' : 'ipv4';
    return this.defaults.check(ip, type) || this.configured.check(ip, type);
  }
}

function addCidr(list: BlockList, cidr: string): void {
  const [ip, bits] = cidr.split('/') as [string, string];
  const family = isIP(ip);
  if (family === 0) throw new BerthError('invalid_argument', `insecure registry: invalid CIDR ${cidr}`);
  list.addSubnet(ip, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
}
