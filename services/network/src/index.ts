import { startGrpcServer, type BerthConfig, type ServiceDeps } from '@berth/kit';
import { compose, type ComposeOptions } from './compose.js';
import { networksService } from './grpc/networks-service.js';

export { defaultChainPrefix, instanceTag, DEFAULT_SUBNET_POOLS, type ComposeOptions } from './compose.js';
export { purgeNetworkState } from './purge.js';

/**
 * Starts the network service (bridges, veths, IPAM, iptables, embedded DNS, netns files) on
 * `config.addresses.network`, with its state in `<stateRoot>/network/` and netns files in
 * `<runRoot>/netns/`. Kernel state is reconciled with the database before the server listens.
 */
export async function start(
  config: BerthConfig,
  deps: ServiceDeps,
  options: ComposeOptions = {},
): Promise<{ address: string; close(): Promise<void> }> {
  const composed = await compose(config, deps, options);
  const address = config.addresses.network;
  try {
    const server = await startGrpcServer({
      name: 'network',
      address,
      services: [networksService(composed.service)],
      logger: deps.logger,
      ...(!address.startsWith('unix://') && config.tls.cert && { tls: config.tls }),
    });
    return {
      address: server.address,
      async close() {
        await server.close();
        await composed.close();
      },
    };
  } catch (err) {
    await composed.close();
    throw err;
  }
}
