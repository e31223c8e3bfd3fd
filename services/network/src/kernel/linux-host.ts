import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { BerthError } from '@berth/kit';
import { macFor, parseIp } from '../domain/ipv4.js';
import type { BridgeSpec, EndpointSpec, FirewallState, Host, OwnedLink } from '../domain/host.js';
import { Ip } from './ip.js';
import { IptablesFirewall } from './iptables.js';
import { NetnsFiles } from './netns.js';
import { probeBind } from './port-probe.js';
import { PortReservations } from './port-reservations.js';

const DEVICE = /^[A-Za-z0-9_.-]{1,15}$/;

function checkDevice(name: string): string {
  if (!DEVICE.test(name)) throw new BerthError('invalid_argument', `invalid interface name ${JSON.stringify(name)}`);
  return name;
}

async function writeSysctl(key: string, value: string): Promise<void> {
  const file = `/proc/sys/${key}`;
  if ((await readFile(file, 'utf8')).trim() !== value) await writeFile(file, value);
}

/**
 * The Linux implementation of Host. Every link it makes carries the alias `berth:<tag>:br:<net>`
 * or `berth:<tag>:ep:<container>`, where the tag names this service instance (its state root): a
 * reconcile only ever deletes links with its own tag, so two instances on one host (a stack and a
 * test run) never remove each other's objects.
 */
export class LinuxHost implements Host {
  readonly ip = new Ip();
  /** Background removals (releaseSandbox), by link name and netns file. */
  private readonly removing = new Map<string, Promise<void>>();

  constructor(
    private readonly tag: string,
    readonly netns: NetnsFiles,
    readonly firewall: IptablesFirewall,
    readonly reservations = new PortReservations(),
  ) {}

  private alias(kind: 'br' | 'ep', owner: string): string {
    return `berth:${this.tag}:${kind}:${owner.slice(0, 12)}`;
  }

  async ensureBridge(b: BridgeSpec): Promise<boolean> {
    const dev = checkDevice(b.device);
    const [gateway, prefix] = b.address.split('/');
    const link = (await this.ip.links()).find((l) => l.ifname === dev);
    const alias = this.alias('br', b.networkId);
    // A fixed MAC: left alone, a bridge takes the lowest MAC of its ports, so a container joining
    // could change it and leave the others' ARP entries for the gateway pointing nowhere.
    const mac = macFor(parseIp(gateway!));
    const cmds: string[][] = [];
    if (!link) {
      cmds.push(['link', 'add', 'name', dev, 'address', mac, 'mtu', String(b.mtu), 'type', 'bridge']);
      cmds.push(['link', 'set', 'dev', dev, 'alias', alias]);
    } else {
      if (link.ifalias !== alias) cmds.push(['link', 'set', 'dev', dev, 'alias', alias]);
      if (link.address !== mac) cmds.push(['link', 'set', 'dev', dev, 'address', mac]);
    }
    const hasAddress = link?.addr_info?.some((a) => a.local === gateway && String(a.prefixlen) === prefix);
    if (!hasAddress) cmds.push(['addr', 'add', b.address, 'dev', dev]);
    if (!link?.flags.includes('UP')) cmds.push(['link', 'set', 'dev', dev, 'up']);
    await this.ip.batch(cmds);
    // Lets DNAT'd connections from the host's loopback leave through the bridge.
    await writeSysctl(`net/ipv4/conf/${dev}/route_localnet`, '1');
    return cmds.length > 0;
  }

  async foreignLinkExists(device: string): Promise<boolean> {
    if (!this.linkExists(device)) return false;
    const alias = await readFile(`/sys/class/net/${device}/ifalias`, 'utf8').catch(() => '');
    return !alias.trim().startsWith(`berth:${this.tag}:`);
  }

  linkExists(device: string): boolean {
    return existsSync(`/sys/class/net/${checkDevice(device)}`);
  }

  async deleteLink(device: string): Promise<void> {
    await this.removing.get(device);
    if (!this.linkExists(device)) return;
    try {
      await this.ip.batch([['link', 'del', 'dev', device]]);
    } catch (err) {
      if (this.linkExists(device)) throw err; // gone meanwhile (its netns was destroyed): that is fine
    }
  }

  releaseSandbox(netnsFile: string, hostInterfaces: string[], onError: (err: unknown) => void): void {
    const keys = [netnsFile, ...hostInterfaces];
    // Started on a later turn of the event loop: spawning forks this process and blocks its loop
    // for a few ms, which must not hold up the reply of the teardown that asked for this.
    const before = Promise.all([...keys.map((k) => this.removing.get(k)), new Promise<void>((resolve) => setTimeout(resolve, 0))]);
    const done: Promise<void> = before
      .then(async () => {
        // Unmounting frees the namespace (when nothing else holds it) and the kernel takes its veths
        // with it; a veth still there (a process keeps the namespace) is deleted.
        await this.netns.remove(netnsFile);
        for (const dev of hostInterfaces) {
          if (!this.linkExists(dev)) continue;
          try {
            await this.ip.batch([['link', 'del', 'dev', dev]]);
          } catch (err) {
            if (this.linkExists(dev)) throw err;
          }
        }
      })
      .catch(onError)
      .finally(() => {
        for (const k of keys) if (this.removing.get(k) === done) this.removing.delete(k);
      });
    for (const k of keys) this.removing.set(k, done);
  }

  async settle(): Promise<void> {
    while (this.removing.size > 0) await Promise.all(this.removing.values());
  }

  async ownedLinks(): Promise<OwnedLink[]> {
    await this.settle();
    const prefix = `berth:${this.tag}:`;
    const out: OwnedLink[] = [];
    for (const l of await this.ip.links()) {
      if (!l.ifalias?.startsWith(prefix)) continue;
      const [kind, owner = ''] = l.ifalias.slice(prefix.length).split(':');
      if (kind === 'br' || kind === 'ep') out.push({ name: l.ifname, kind: kind === 'br' ? 'bridge' : 'endpoint', owner });
    }
    return out;
  }

  /**
   * A new netns with its endpoints, in two processes: `unshare --net=<file> ip -batch -` brings lo
   * up and creates each veth from inside (the host side sent to this process's own namespace, the
   * host's) and configures the container side; one `ip -batch -` on the host puts the host sides on
   * their bridges. (Three steps, five processes, when the netns is made first and entered after.)
   */
  async createSandbox(file: string, endpoints: EndpointSpec[]): Promise<void> {
    await Promise.all([file, ...endpoints.map((e) => e.hostInterface)].map((k) => this.removing.get(k)));
    const inside: string[][] = [['link', 'set', 'lo', 'up']];
    for (const e of endpoints) {
      const mtu = String(e.mtu);
      inside.push(
        ['link', 'add', checkDevice(e.interface), 'address', e.mac, 'mtu', mtu, 'type', 'veth', 'peer', 'name', checkDevice(e.hostInterface), 'mtu', mtu, 'netns', `/proc/${process.pid}/ns/net`],
        ['addr', 'add', e.address, 'dev', e.interface],
        ['link', 'set', 'dev', e.interface, 'up'],
      );
      if (e.defaultGateway) inside.push(['route', 'replace', 'default', 'via', e.defaultGateway, 'dev', e.interface]);
    }
    await this.netns.create(file, ['ip', '-batch', '-'], this.ip.batchInput(inside));
    await this.ip.batch(endpoints.flatMap((e) => this.hostSide(e)));
  }

  /** The host side of a veth: alias (whose instance), bridge port with hairpin, up. */
  private hostSide(e: EndpointSpec): string[][] {
    const host = checkDevice(e.hostInterface);
    return [
      ['link', 'set', 'dev', host, 'alias', this.alias('ep', e.containerId)],
      ['link', 'set', 'dev', host, 'master', checkDevice(e.bridge)],
      ['link', 'set', 'dev', host, 'type', 'bridge_slave', 'hairpin', 'on'],
      ['link', 'set', 'dev', host, 'up'],
    ];
  }

  async deleteNetns(file: string): Promise<void> {
    await this.removing.get(file);
    await this.netns.remove(file);
  }

  async netnsAlive(file: string): Promise<boolean> {
    await this.removing.get(file);
    return this.netns.alive(file);
  }

  async netnsFiles(): Promise<string[]> {
    await this.settle();
    return this.netns.list();
  }

  /** A veth pair: the host side on the bridge, the peer created straight inside the sandbox. */
  async addEndpoint(netnsFile: string, e: EndpointSpec): Promise<void> {
    const host = checkDevice(e.hostInterface);
    await this.removing.get(host);
    const mtu = String(e.mtu);
    await this.ip.batch([
      ['link', 'add', host, 'mtu', mtu, 'type', 'veth', 'peer', 'name', checkDevice(e.interface), 'address', e.mac, 'mtu', mtu, 'netns', netnsFile],
      ...this.hostSide(e),
    ]);
    const inside = [
      ['addr', 'add', e.address, 'dev', e.interface],
      ['link', 'set', 'dev', e.interface, 'up'],
    ];
    if (e.defaultGateway) inside.push(['route', 'replace', 'default', 'via', e.defaultGateway, 'dev', e.interface]);
    await this.ip.batch(inside, netnsFile);
  }

  async setDefaultRoute(netnsFile: string, route: { gateway: string; interface: string }): Promise<void> {
    await this.ip.batch([['route', 'replace', 'default', 'via', route.gateway, 'dev', route.interface]], netnsFile);
  }

  async portFree(protocol: 'tcp' | 'udp', ip: string, port: number): Promise<boolean> {
    try {
      await probeBind(protocol, ip, port);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
      throw new BerthError('failed_precondition', `Bind for ${ip}:${port} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  freePort(protocol: 'tcp' | 'udp', ip: string): Promise<number> {
    return probeBind(protocol, ip, 0);
  }

  async routes(): Promise<string[]> {
    return (await this.ip.routes())
      .filter((r) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(r.dst))
      .map((r) => (r.dst.includes('/') ? r.dst : `${r.dst}/32`));
  }

  async enableForwarding(): Promise<void> {
    await writeSysctl('net/ipv4/ip_forward', '1');
  }

  /** berth's chains, and the published host ports held to match them. */
  async applyFirewall(state: FirewallState, options?: { verify?: boolean }): Promise<boolean> {
    const changed = await this.firewall.apply(state, options);
    await this.reservations.sync(state.ports);
    return changed;
  }
}
