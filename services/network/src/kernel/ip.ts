import { runCommand, BerthError } from '@berth/kit';

/** The fields of `ip -json addr show` berth reads. */
export interface IpLink {
  ifname: string;
  flags: string[];
  master?: string;
  ifalias?: string;
  address?: string;
  mtu: number;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

export interface IpRoute {
  dst: string;
  dev?: string;
}

const TOKEN = /^[A-Za-z0-9_.:/@+-]+$/;

/**
 * iproute2, typed: reads with `ip -json`, writes with `ip -batch -` (one process for a whole
 * change, stopping at the first failing line). Commands inside a sandbox run through
 * `nsenter --net=<file>`, since `ip -n` only knows /run/netns.
 */
export class Ip {
  constructor(private readonly binary = 'ip', private readonly nsenter = 'nsenter') {}

  /** Every link with its alias and flags (`ip link`) and its IPv4 addresses (`ip -4 addr`, which has no alias). */
  async links(): Promise<IpLink[]> {
    const [links, addrs] = await Promise.all([
      runCommand(this.binary, ['-json', 'link', 'show'], { timeoutMs: 20_000 }),
      runCommand(this.binary, ['-json', '-4', 'addr', 'show'], { timeoutMs: 20_000 }),
    ]);
    const byName = new Map((JSON.parse(addrs.stdout || '[]') as IpLink[]).map((l) => [l.ifname, l.addr_info ?? []]));
    return (JSON.parse(links.stdout || '[]') as IpLink[]).map((l) => ({ ...l, addr_info: byName.get(l.ifname) ?? [] }));
  }

  async routes(): Promise<IpRoute[]> {
    const { stdout } = await runCommand(this.binary, ['-json', '-4', 'route', 'show', 'table', 'all'], { timeoutMs: 20_000 });
    return JSON.parse(stdout || '[]') as IpRoute[];
  }

  /** The `ip -batch -` input for argv lines; every token is checked (no spaces, quotes or globs). */
  batchInput(lines: string[][]): string {
    for (const line of lines) {
      for (const t of line) if (!TOKEN.test(t)) throw new BerthError('internal', `ip batch: bad token ${JSON.stringify(t)}`);
    }
    return `${lines.map((l) => l.join(' ')).join('\n')}\n`;
  }

  /** Runs `ip` argv lines in one process (inside a netns when given). */
  async batch(lines: string[][], netnsFile?: string): Promise<void> {
    if (lines.length === 0) return;
    const input = this.batchInput(lines);
    if (netnsFile === undefined) {
      await runCommand(this.binary, ['-batch', '-'], { input, timeoutMs: 20_000 });
    } else {
      await runCommand(this.nsenter, [`--net=${netnsFile}`, '--', this.binary, '-batch', '-'], { input, timeoutMs: 20_000 });
    }
  }
}
