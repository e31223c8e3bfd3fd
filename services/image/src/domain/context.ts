import type { Logger } from '@berth/kit';
import type { ContentStore } from './content-store.js';
import type { ImageEvents } from './events.js';
import type { ImageStore } from './image-store.js';
import { SharedLock } from './keyed-lock.js';
import type { RegistryClient } from './registry.js';
import type { LayerUnpacker, LayerWriter, Snapshotter } from './snapshotter.js';
import type { PullLimits } from './types.js';

/** Everything the image use cases work with; built once in compose.ts. */
export interface ImageContext {
  content: ContentStore;
  snapshots: Snapshotter;
  images: ImageStore;
  unpacker: LayerUnpacker;
  /** Stores layer tars that berth makes (commit, import) as blobs. */
  layerWriter: LayerWriter;
  registry: RegistryClient;
  events: ImageEvents;
  limits: PullLimits;
  logger: Logger;
  locks: ImageLocks;
}

export interface ImageLocks {
  /** Pulls share it; deleting unreferenced layers and blobs takes it alone. */
  gc: SharedLock;
  /** Chain IDs some pull is fetching now → settles when that pull ends (committed or not). */
  layers: Map<string, Promise<void>>;
}

export function newLocks(): ImageLocks {
  return { gc: new SharedLock(), layers: new Map() };
}
