import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { serviceDirs, type BerthConfig, type ServiceDeps } from '@berth/kit';
import { DnsServer } from './dns/dns-server.js';
import { Forwarder, upstreamsFromConfig, upstreamsFromResolvConf, type Upstream } from './dns/forwarder.js';
import type { Settings } from './domain/context.js';
import { lookupAddress, lookupPointer, unknownName } from './domain/dns-records.js';
import { parseCidr } from './domain/ipv4.js';
import { NetworkService } from './domain/network-service.js';
import { IptablesFirewall } from './kernel/iptables.js';
import { LinuxHost } from './kernel/linux-host.js';
import { PortReservations } from './kernel/port-reservations.js';
import { NetnsFiles } from './kernel/netns.js';
import { NetworkDb } from './store/network-db.js';

export interface ComposeOptions {
  /** Resolvers for names the embedded DNS does not know; default: config.network.dnsUpstreams, else the nameservers of /etc/resolv.conf. */
  dnsUpstreams?: Upstream[];
  /** Prefix of berth's iptables chains; default from the bridge name (see defaultChainPrefix). */
  chainPrefix?: string;
  /** Pools for networks created without a subnet; default 10.202.0.0/16 … 10.209.0.0/16. */
  subnetPools?: string[];
  /** Size of an automatic subnet; default /24. */
  autoPrefix?: number;
  /** How often berth's iptables rules are checked and repaired; default 5 s, 0 for never. */
  firewallCheckMs?: number;
}

export const DEFAULT_SUBNET_POOLS = Array.from({ length: 8 }, (_, i) => `10.${202 + i}.0.0/16`);

/**
 * "BERTH" for the default bridge berth0, so the chains read BERTH-FORWARD ...; any other bridge
 * name (a second instance, a test) gets its own chains, `BERTH-<bridge>-…` (or a hash when long),
 * so two instances on one host never rewrite each other's rules.
 */
export function defaultChainPrefix(bridgeName: string): string {
  if (bridgeName === 'berth0') return 'BERTH';
  if (/^[A-Za-z0-9_]{1,10}$/.test(bridgeName)) return `BERTH-${bridgeName}`;
  return `BERTH-${createHash('sha256').update(bridgeName).digest('hex').slice(0, 8)}`;
}

/** Names this instance's links (alias `berth:<tag>:…`): a hash of its state root. */
export function instanceTag(stateRoot: string): string {
  return createHash('sha256').update(path.resolve(stateRoot)).digest('hex').slice(0, 8);
}

export interface Composed {
  service: NetworkService;
  host: LinuxHost;
  settings: Settings;
  close(): Promise<void>;
}

/** The only place that builds the network service's parts and wires them together. */
export async function compose(config: BerthConfig, deps: ServiceDeps, options: ComposeOptions = {}): Promise<Composed> {
  const logger = deps.logger.child({ component: 'network' });
  const dirs = serviceDirs(config, 'network');
  const settings: Settings = {
    bridgeName: config.network.bridgeName,
    bridgeSubnet: config.network.bridgeSubnet,
    netnsDir: path.join(config.runRoot, 'netns'),
    subnetPools: (options.subnetPools ?? DEFAULT_SUBNET_POOLS).map(parseCidr),
    autoPrefix: options.autoPrefix ?? 24,
    defaultMtu: 1500,
  };
  await mkdir(dirs.state, { recursive: true, mode: 0o700 });
  await mkdir(settings.netnsDir, { recursive: true, mode: 0o755 });
  const db = new NetworkDb(path.join(dirs.state, 'network.db'));
  const host = new LinuxHost(
    instanceTag(config.stateRoot),
    new NetnsFiles(settings.netnsDir),
    new IptablesFirewall(options.chainPrefix ?? defaultChainPrefix(settings.bridgeName)),
    new PortReservations((err, port) => logger.warn({ err, port }, 'published port taken on the host: not held')),
  );
  const configured = config.network.dnsUpstreams ?? [];
  const upstreams =
    options.dnsUpstreams ??
    (configured.length > 0 ? upstreamsFromConfig(configured) : upstreamsFromResolvConf(await readFile('/etc/resolv.conf', 'utf8').catch(() => '')));
  const dns = new DnsServer({
    records: {
      address: (asker, server, name) => lookupAddress(db, asker, server, name),
      pointer: (asker, server, name) => lookupPointer(db, asker, server, name),
      other: (asker) => unknownName(db, asker),
    },
    forwarder: new Forwarder(upstreams),
    logger: logger.child({ component: 'dns' }),
  });
  const service = new NetworkService({ store: db, host, dns, events: deps.events, logger, settings });
  let timer: NodeJS.Timeout | undefined;
  const close = async () => {
    clearInterval(timer);
    await host.settle(); // background removals of sandboxes finish before the process goes
    host.reservations.closeAll();
    await dns.close();
    db.close();
  };
  try {
    await service.init();
  } catch (err) {
    await close();
    throw err;
  }
  const checkMs = options.firewallCheckMs ?? 5000;
  if (checkMs > 0) {
    timer = setInterval(() => {
      service.checkFirewall().catch((err: unknown) => logger.error({ err }, 'iptables check failed'));
    }, checkMs);
    timer.unref();
  }
  return { service, host, settings, close };
}
