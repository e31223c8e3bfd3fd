import type { NetworkContext } from './context.js';
import type { Network } from './model.js';

export type NetworkAction = 'create' | 'destroy' | 'connect' | 'disconnect';

/** Docker's network events: actor = the network, attributes name, type (driver), container. Never throws. */
export async function publishNetworkEvent(ctx: NetworkContext, action: NetworkAction, n: Network, containerId?: string): Promise<void> {
  const attributes: Record<string, string> = { name: n.name, type: n.driver };
  if (containerId) attributes.container = containerId;
  await ctx.events.publish({ type: 'network', action, actor: { id: n.id, attributes } });
}
