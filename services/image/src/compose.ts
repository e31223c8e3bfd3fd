import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { serviceDirs, type BerthConfig, type ServiceDeps } from '@berth/kit';
import { GC_SCHEDULE, pullLimits } from './config.js';
import { newLocks, type ImageContext } from './domain/context.js';
import { ImageEvents } from './domain/events.js';
import { GarbageCollector, type GcSchedule } from './domain/gc.js';
import { Images } from './domain/images.js';
import type { RegistryClient } from './domain/registry.js';
import type { PullLimits } from './domain/types.js';
import { GrpcRegistryClient } from './grpc/registry-client.js';
import { GrpcRegistryPusher } from './grpc/push-registry-client.js';
import { ImagePusher } from './domain/push.js';
import type { RegistryPusher } from './domain/push-registry.js';
import { openImageDb } from './store/image-db.js';
import { GzipLayerWriter } from './store/layer-writer.js';
import { LocalContentStore } from './store/local-content-store.js';
import { OverlaySnapshotter } from './store/overlay-snapshotter.js';
import { SqliteImageStore } from './store/sqlite-image-store.js';
import { WorkerLayerUnpacker } from './store/worker-unpacker.js';
import type { LayerUnpacker } from './domain/snapshotter.js';

export interface ComposeOptions {
  /** Replaces the gRPC registry client (tests of the pull logic alone). */
  registry?: RegistryClient;
  /** Replaces the gRPC registry client that pushes. */
  pusher?: RegistryPusher;
  /** Replaces the worker-thread layer unpacker (InThreadLayerUnpacker, say). */
  unpacker?: LayerUnpacker;
  limits?: Partial<PullLimits>;
  /** Automatic GC timing (tests collect with no grace). */
  gc?: Partial<GcSchedule>;
}

export interface Composed {
  images: Images;
  /** Docker's push (domain/push.ts). */
  pusher: ImagePusher;
  gc: GarbageCollector;
  /** `<stateRoot>/image`. */
  root: string;
  close(): Promise<void>;
}

/**
 * The only place that constructs things: state under `<stateRoot>/image/` (image.db, content/,
 * snapshots/), the registry client, the use cases.
 */
export async function compose(config: BerthConfig, deps: ServiceDeps, options: ComposeOptions = {}): Promise<Composed> {
  const root = serviceDirs(config, 'image').state;
  await mkdir(root, { recursive: true, mode: 0o700 });
  const db = openImageDb(path.join(root, 'image.db'));
  try {
    const content = new LocalContentStore(path.join(root, 'content'));
    await content.init();
    const snapshots = new OverlaySnapshotter(path.join(root, 'snapshots'), db);
    await snapshots.init();
    const limits = { ...pullLimits(config), ...options.limits };
    const workers = options.unpacker ? undefined : new WorkerLayerUnpacker(limits.maxLayerBytes);
    const grpcRegistry = options.registry ? undefined : new GrpcRegistryClient(config.addresses.registry, config, deps.logger.child({ component: 'registry-client' }));
    const grpcPusher = options.pusher ? undefined : new GrpcRegistryPusher(config.addresses.registry, config);
    const ctx: ImageContext = {
      content,
      snapshots,
      images: new SqliteImageStore(db),
      unpacker: options.unpacker ?? workers!,
      layerWriter: new GzipLayerWriter(content, limits.maxLayerBytes),
      registry: options.registry ?? grpcRegistry!,
      events: new ImageEvents(deps.events),
      limits,
      logger: deps.logger,
      locks: newLocks(),
    };
    const gc = new GarbageCollector(ctx, { ...GC_SCHEDULE, ...options.gc }, deps.logger.child({ component: 'gc' }));
    gc.start();
    return {
      images: new Images(ctx),
      pusher: new ImagePusher({
        ...ctx,
        registry: options.pusher ?? grpcPusher!,
        publisher: deps.events,
        logger: deps.logger.child({ component: 'push' }),
        maxManifestBytes: limits.maxManifestBytes,
      }),
      gc,
      root,
      async close() {
        await gc.stop();
        grpcRegistry?.close();
        grpcPusher?.close();
        await workers?.close();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
