import { BerthError, errorKind } from '@berth/kit';
import { isRunning, Status, type Container } from './container.js';
import type { RuntimeContext } from './context.js';
import { findContainer } from './lookup.js';
import { networkModeOf } from './network-mode.js';
import { holdsEndpoints, withoutEndpoints } from './network-attachments.js';
import type { NetworkSetup } from './ports.js';

const NO_NETWORK: NetworkSetup = { dnsServers: [], dnsSearch: [], hosts: [] };

/**
 * The container's network for a start: `none` a fresh netns (only lo), `host` the host's,
 * `container:<x>` x's netns, hostname and /etc files; otherwise a sandbox from the network service
 * on every network the container is on, whose endpoints and chosen ports are recorded at once (so
 * inspect, `ps` and `docker port` show them, and a crash before the start ends leaves a record).
 */
export async function networkFor(ctx: RuntimeContext, c: Container): Promise<NetworkSetup> {
  const mode = networkModeOf(c.spec.networkMode);
  switch (mode.kind) {
    case 'none':
      return NO_NETWORK;
    case 'host':
      return { ...NO_NETWORK, netnsPath: 'host' };
    case 'container': {
      const other = findContainer(ctx, mode.target);
      if (!isRunning(other) || other.state.pid <= 0) {
        throw new BerthError('failed_precondition', `cannot join network of a non running container: ${mode.target}`);
      }
      if (other.id === c.id) throw new BerthError('invalid_argument', 'cannot join own network');
      const shared = networkModeOf(other.spec.networkMode).kind === 'host' ? {} : { shareFrom: { dir: ctx.paths.bundle(other.id), hostname: other.spec.hostname } };
      return { ...NO_NETWORK, netnsPath: `/proc/${other.state.pid}/ns/net`, ...shared };
    }
    case 'network': {
      if (!ctx.network) return NO_NETWORK;
      const setup = await ctx.network.setup(c);
      const byId = new Map((setup.endpoints ?? []).map((e) => [e.networkId, e.endpoint]));
      const networks = c.networks.map((a) => {
        const endpoint = byId.get(a.networkId);
        return endpoint ? { config: a.config, networkId: a.networkId, endpoint } : { config: a.config, networkId: a.networkId };
      });
      ctx.db.updateNetworks(c.id, { networks, ports: setup.ports ?? [] });
      return setup;
    }
  }
}

/**
 * Tears the container's sandbox down (network service) and forgets its endpoints. A removal must
 * not leave a sandbox behind, so there every failure counts; on exit, a network service that is
 * down only defers the teardown (the container's endpoints stay recorded and the exit sweep retries).
 */
export async function releaseNetwork(ctx: RuntimeContext, c: Container): Promise<void> {
  if (!ctx.network || networkModeOf(c.spec.networkMode).kind !== 'network') return;
  try {
    await ctx.network.teardown(c);
  } catch (err) {
    if (c.state.status === Status.Removing || errorKind(err) !== 'unavailable') throw err;
    ctx.logger.warn({ err, id: c.id }, 'network service unavailable: sandbox teardown deferred');
    return;
  }
  const current = ctx.db.get(c.id);
  if (current && holdsEndpoints(current)) ctx.db.updateNetworks(c.id, { networks: withoutEndpoints(current.networks), ports: [] });
}

/** The exit sweep's part for networks: stopped containers whose sandbox teardown was deferred. */
export async function retryDeferredTeardowns(ctx: RuntimeContext): Promise<void> {
  if (!ctx.network) return;
  for (const id of ctx.db.withEndpoints()) {
    await ctx.locks.run(id, async () => {
      const current = ctx.db.get(id);
      if (current && !isRunning(current) && current.state.status !== Status.Removing && holdsEndpoints(current)) await releaseNetwork(ctx, current);
    }).catch((err: unknown) => ctx.logger.warn({ err, id }, 'deferred sandbox teardown failed'));
  }
}
