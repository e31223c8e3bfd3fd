import path from 'node:path';
import type { NetworkContext } from './context.js';
import { defaultRouteEndpoint, endpointSpec } from './endpoints.js';
import { publishNetworkEvent } from './events.js';
import { firewallState } from './firewall-state.js';
import { Driver } from './model.js';
import { bridgeSpec } from './networks.js';

export interface ReconcileReport {
  repaired: string[];
  removed: string[];
}

/**
 * Brings the kernel back in line with the database: bridges re-made, sandboxes whose netns file is
 * gone forgotten, lost veths re-made, orphan veths/bridges/netns files of this instance removed,
 * berth's chains rewritten (jumps exactly once), DNS listening on every gateway. Idempotent.
 */
export async function reconcile(ctx: NetworkContext): Promise<ReconcileReport> {
  const { store, host, logger } = ctx;
  const report: ReconcileReport = { repaired: [], removed: [] };
  await host.enableForwarding();
  const bridges = store.listNetworks().filter((n) => n.driver === Driver.Bridge);
  for (const n of bridges) if (await host.ensureBridge(bridgeSpec(n))) report.repaired.push(`bridge ${n.bridge}`);

  for (const s of store.listSandboxes()) {
    const endpoints = store.endpointsOf(s.containerId);
    if (!(await host.netnsAlive(s.netnsPath))) {
      for (const ep of endpoints) await host.deleteLink(ep.hostInterface);
      await host.deleteNetns(s.netnsPath);
      store.transaction(() => {
        store.deletePorts(s.containerId);
        store.deleteSandbox(s.containerId);
      });
      report.removed.push(`sandbox ${s.containerId}`);
      for (const ep of endpoints) {
        const n = store.getNetwork(ep.networkId);
        if (n) await publishNetworkEvent(ctx, 'disconnect', n, s.containerId);
      }
      continue;
    }
    const gw = defaultRouteEndpoint(endpoints, (id) => store.getNetwork(id));
    for (const ep of endpoints) {
      if (host.linkExists(ep.hostInterface)) continue;
      const n = store.getNetwork(ep.networkId)!;
      try {
        await host.addEndpoint(s.netnsPath, endpointSpec(ep, n, ep === gw));
        report.repaired.push(`endpoint ${s.containerId.slice(0, 12)} ${n.name}`);
      } catch (err) {
        logger.warn({ err, container: s.containerId, network: n.name }, 'endpoint could not be re-made');
      }
    }
  }

  const knownBridges = new Set(bridges.map((n) => n.bridge));
  const knownVeths = new Set(store.listEndpoints().map((e) => e.hostInterface));
  for (const link of await host.ownedLinks()) {
    const known = link.kind === 'bridge' ? knownBridges : knownVeths;
    if (known.has(link.name)) continue;
    await host.deleteLink(link.name);
    report.removed.push(`${link.kind === 'bridge' ? 'bridge' : 'veth'} ${link.name}`);
  }
  const knownNetns = new Set(store.listSandboxes().map((s) => s.netnsPath));
  for (const file of await host.netnsFiles()) {
    if (knownNetns.has(file)) continue;
    await host.deleteNetns(file);
    report.removed.push(`netns ${path.basename(file)}`);
  }

  if (await host.applyFirewall(firewallState(store), { verify: true })) report.repaired.push('iptables');
  for (const n of bridges) if (!ctx.dns.serving(n.gateway)) await ctx.dns.listen(n.gateway);
  if (report.repaired.length || report.removed.length) logger.info(report, 'reconciled');
  return report;
}
