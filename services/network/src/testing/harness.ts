import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createClient, createLogger, loadConfig, RecordingEventPublisher, runCommand, type BerthConfig, type Client } from '@berth/kit';
import { tempDir, type TempDir } from '@berth/fixtures';
import { network } from '@berth/proto';
import { defaultChainPrefix, instanceTag, purgeNetworkState, start } from '../index.js';
import { IptablesFirewall } from '../kernel/iptables.js';
import { LinuxHost } from '../kernel/linux-host.js';
import { NetnsFiles } from '../kernel/netns.js';
import { overlaps, parseCidr } from '../domain/ipv4.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';

/**
 * One network service instance for one test file, on real kernel objects: its own temp state and
 * run roots, a bridge `bt<octet><rand>`, subnets under 10.<octet>.0.0/16 (default bridge
 * 10.<octet>.0.0/24, automatic subnets from 10.<octet>.128.0/17), its own iptables chains, and a
 * fake upstream resolver on loopback. `cleanup()` removes every kernel object the instance made.
 */
export interface Harness {
  octet: number;
  config: BerthConfig;
  bridgeName: string;
  chainPrefix: string;
  events: RecordingEventPublisher;
  client: Client<typeof network.NetworksService>;
  upstream: FakeUpstream;
  dir: TempDir;
  /** `10.<octet>.<third>.<fourth>`. */
  ip(third: number, fourth: number): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
  /** Kernel objects of this instance still present (links, chains, netns mounts, files). */
  leftovers(): Promise<string[]>;
}

/** Octets for test files: clear of the default pools (10.201–10.209) and of the e2e stacks (10.210–10.249). */
export const TEST_OCTETS = { networks: 250, sandboxes: 251, ports: 252, lifecycle: 253, scratch: 254 } as const;

async function assertUnrouted(octet: number): Promise<void> {
  const { stdout } = await runCommand('ip', ['-json', '-4', 'route', 'show', 'table', 'all']);
  const mine = parseCidr(`10.${octet}.0.0/16`);
  for (const r of JSON.parse(stdout) as Array<{ dst: string }>) {
    if (r.dst === 'default') continue;
    if (overlaps(mine, parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`))) {
      throw new Error(`10.${octet}.0.0/16 is in use on this host (route ${r.dst}): another test run?`);
    }
  }
}

export async function startHarness(octet: number, upstreamNames: Record<string, string> = {}): Promise<Harness> {
  await assertUnrouted(octet);
  const dir = tempDir(`berth-net-${octet}-`);
  const bridgeName = `bt${octet}${randomBytes(2).toString('hex')}`;
  const config = loadConfig({
    file: null,
    overrides: {
      stateRoot: path.join(dir.path, 'state'),
      runRoot: path.join(dir.path, 'run'),
      addresses: { network: `unix://${path.join(dir.path, 'run', 'network.sock')}` },
      logLevel: 'silent',
      network: { bridgeName, bridgeSubnet: `10.${octet}.0.0/24` },
    },
  });
  const chainPrefix = defaultChainPrefix(bridgeName);
  const events = new RecordingEventPublisher();
  const upstream = await startFakeUpstream(upstreamNames);
  const logger = createLogger({ service: 'network', level: process.env.BERTH_TEST_LOG ?? 'silent' });
  const netnsDir = path.join(config.runRoot, 'netns');
  const host = new LinuxHost(instanceTag(config.stateRoot), new NetnsFiles(netnsDir), new IptablesFirewall(chainPrefix));
  let running: { close(): Promise<void> } | undefined;
  const client = createClient(network.NetworksService, config.addresses.network);
  const h: Harness = {
    octet, config, bridgeName, chainPrefix, events, client, upstream, dir,
    ip: (third, fourth) => `10.${octet}.${third}.${fourth}`,
    async start() {
      running = await start(config, { logger, events }, {
        dnsUpstreams: [{ host: '127.0.0.1', port: upstream.port }],
        subnetPools: [`10.${octet}.128.0/17`],
        firewallCheckMs: 0, // tests change rules on purpose and check what a reconcile does
      });
    },
    async stop() {
      await running?.close();
      running = undefined;
    },
    async cleanup() {
      client.close();
      await h.stop();
      await purgeNetworkState(config);
      await upstream.close();
      await dir.cleanup();
    },
    async leftovers() {
      const out: string[] = [];
      const links = (await runCommand('ip', ['-o', 'link'])).stdout;
      for (const l of await host.ownedLinks()) out.push(`link ${l.name}`);
      if (links.includes(`${bridgeName}:`)) out.push(`link ${bridgeName}`);
      const rules = (await runCommand('iptables-save', [])).stdout;
      for (const line of rules.split('\n')) if (line.includes(`${chainPrefix}-`)) out.push(`iptables ${line}`);
      const mounts = (await runCommand('cat', ['/proc/self/mountinfo'])).stdout;
      for (const line of mounts.split('\n')) if (line.includes(netnsDir)) out.push(`mount ${line}`);
      for (const f of await readdir(netnsDir).catch(() => [] as string[])) out.push(`netns file ${f}`);
      return out;
    },
  };
  try {
    await h.start();
  } catch (err) {
    await h.cleanup();
    throw err;
  }
  return h;
}
