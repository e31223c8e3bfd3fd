import { startGrpcServer, type BerthConfig, type ServiceDeps } from '@berth/kit';
import { compose, type ComposeOptions } from './compose.js';
import { imagesService } from './grpc/images-service.js';
import { meteredImages } from './metrics.js';

export type { ComposeOptions } from './compose.js';

/**
 * Starts the image service (content store, image metadata, overlay snapshots) on
 * `config.addresses.image`, with its state in `<stateRoot>/image/`.
 */
export async function start(
  config: BerthConfig,
  deps: ServiceDeps,
  options: ComposeOptions = {},
): Promise<{ address: string; close(): Promise<void> }> {
  const composed = await compose(config, { ...deps, logger: deps.logger.child({ component: 'image' }) }, options);
  const address = config.addresses.image;
  try {
    const server = await startGrpcServer({
      name: 'image',
      address,
      services: [imagesService(meteredImages(composed.images), composed.pusher)],
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
