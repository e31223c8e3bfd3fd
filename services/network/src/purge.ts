import path from 'node:path';
import type { BerthConfig } from '@berth/kit';
import { defaultChainPrefix, instanceTag, type ComposeOptions } from './compose.js';
import { IptablesFirewall } from './kernel/iptables.js';
import { LinuxHost } from './kernel/linux-host.js';
import { NetnsFiles } from './kernel/netns.js';

/**
 * Removes every kernel object one network service instance made — its bridges and veths (found by
 * their alias), its iptables chains and jumps, its netns files — leaving its database alone. For
 * test and e2e teardown and for uninstalling; run it only with that instance stopped.
 */
export async function purgeNetworkState(config: BerthConfig, options: Pick<ComposeOptions, 'chainPrefix'> = {}): Promise<void> {
  const host = new LinuxHost(
    instanceTag(config.stateRoot),
    new NetnsFiles(path.join(config.runRoot, 'netns')),
    new IptablesFirewall(options.chainPrefix ?? defaultChainPrefix(config.network.bridgeName)),
  );
  for (const link of await host.ownedLinks()) await host.deleteLink(link.name);
  await host.firewall.remove();
  for (const file of await host.netnsFiles()) await host.deleteNetns(file);
}
