import { registerCollector, serve, startGrpcServer, type BerthConfig, type EventPublisher, type Logger } from '@berth/kit';
import { runtime } from '@berth/proto';
import { compose } from './compose.js';
import type { ImageProvider } from './domain/image-provider.js';
import type { NetworkSandbox } from './domain/ports.js';
import { containersHandlers } from './grpc/containers-service.js';
import { volumesHandlers } from './grpc/volumes-service.js';
import { GrpcImageProvider } from './grpc/grpc-image-provider.js';
import { GrpcNetworkSandbox } from './grpc/grpc-network-sandbox.js';
import { runtimeCollector } from './metrics.js';
import { withListCache } from './grpc/list-cache.js';

export interface RuntimeDeps {
  logger: Logger;
  events: EventPublisher;
  /** Default: the image service at config.addresses.image. Tests pass a local one. */
  images?: ImageProvider;
  /** Default: the network service at config.addresses.network; `null` for none (bridge → empty netns). */
  network?: NetworkSandbox | null;
  sweepMs?: number;
  /** How often log sizes are checked for rotation (default 1 s). */
  logCheckMs?: number;
}

export interface RuntimeService {
  address: string;
  /**
   * Stops serving and watching. Containers are left running under their conmon: a new instance
   * on the same state picks them up (live restore).
   */
  close(): Promise<void>;
}

/** Starts the runtime service: runtime.ContainersService on config.addresses.runtime. */
export async function start(config: BerthConfig, deps: RuntimeDeps): Promise<RuntimeService> {
  const ownImages = deps.images ? undefined : new GrpcImageProvider(config.addresses.image, config);
  const ownNetwork = deps.network === undefined ? new GrpcNetworkSandbox(config.addresses.network, config) : undefined;
  const network = deps.network === null ? undefined : (deps.network ?? ownNetwork);
  const composed = await compose(config, {
    logger: deps.logger, events: deps.events, images: deps.images ?? ownImages!,
    ...(network ? { network } : {}),
    ...(deps.sweepMs ? { sweepMs: deps.sweepMs } : {}),
    ...(deps.logCheckMs ? { logCheckMs: deps.logCheckMs } : {}),
  });
  const server = await startGrpcServer({
    name: 'runtime',
    address: config.addresses.runtime,
    services: [
      { definition: runtime.ContainersService, handlers: withListCache(composed.ctx, containersHandlers(composed.containers, composed.execs, composed.volumes)) },
      serve(runtime.VolumesService, volumesHandlers(composed.volumes)),
    ],
    logger: deps.logger,
    tls: config.tls,
  }).catch((err: unknown) => {
    composed.close();
    throw err;
  });
  const unregisterMetrics = registerCollector('runtime', runtimeCollector(composed.ctx));
  return {
    address: server.address,
    close: async () => {
      unregisterMetrics();
      await server.close(2000);
      composed.close();
      ownImages?.close();
      ownNetwork?.close();
    },
  };
}

export type { ImageProvider, ImageInfo } from './domain/image-provider.js';
export type { NetworkSandbox, NetworkSetup } from './domain/ports.js';
