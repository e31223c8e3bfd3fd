import type { BerthConfig } from '@berth/kit';
import type { GcSchedule } from './domain/gc.js';
import { DEFAULT_LIMITS, type PullLimits } from './domain/types.js';

/** The image service's settings, read from the stack's config (parsed once in main.ts). */
export function pullLimits(config: BerthConfig): PullLimits {
  return {
    ...DEFAULT_LIMITS,
    concurrency: config.image.pullConcurrency > 0 ? config.image.pullConcurrency : DEFAULT_LIMITS.concurrency,
    maxLayerBytes: config.image.maxLayerBytes > 0 ? config.image.maxLayerBytes : DEFAULT_LIMITS.maxLayerBytes,
  };
}

/**
 * Automatic garbage collection (domain/gc.ts): hourly; unreferenced layers and blobs are left an
 * hour for a retried pull; partial ingests untouched for a day are dropped. Not in the stack's
 * config file yet: no one has needed other values.
 */
export const GC_SCHEDULE: GcSchedule = {
  intervalMs: 60 * 60_000,
  graceMs: 60 * 60_000,
  ingestExpiryMs: 24 * 60 * 60_000,
};
