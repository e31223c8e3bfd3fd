import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { serviceDirs, type BerthConfig, type ServiceDeps } from '@berth/kit';
import { pullLimits } from './config.js';
import { newLocks, type ImageContext } from './domain/context.js';
import { ImageEvents } from './domain/events.js';
import { Images } from './domain/images.js';
import type { RegistryClient } from './domain/registry.js';
import type { PullLimits } from './domain/types.js';
import { GrpcRegistryClient } from './grpc/registry-client.js';
import { openImageDb } from './store/image-db.js';
import { StreamingLayerUnpacker } from './store/layer-unpacker.js';
import { LocalContentStore } from './store/local-content-store.js';
import { CommandNodeTools, type NodeTools } from './store/node-tools.js';
import { OverlaySnapshotter } from './store/overlay-snapshotter.js';
import { SqliteImageStore } from './store/sqlite-image-store.js';

export interface ComposeOptions {
  /** Replaces the gRPC registry client (tests of the pull logic alone). */
  registry?: RegistryClient;
  tools?: NodeTools;
  limits?: Partial<PullLimits>;
}

export interface Composed {
  images: Images;
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
    const grpcRegistry = options.registry ? undefined : new GrpcRegistryClient(config.addresses.registry);
    const ctx: ImageContext = {
      content,
      snapshots,
      images: new SqliteImageStore(db),
      unpacker: new StreamingLayerUnpacker(options.tools ?? new CommandNodeTools(), limits.maxLayerBytes),
      registry: options.registry ?? grpcRegistry!,
      events: new ImageEvents(deps.events),
      limits,
      logger: deps.logger,
      locks: newLocks(),
    };
    return {
      images: new Images(ctx),
      root,
      async close() {
        grpcRegistry?.close();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
