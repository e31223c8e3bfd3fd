import type { BerthConfig } from '@berth/kit';
import { DEFAULT_LIMITS, type PullLimits } from './domain/types.js';

/** The image service's settings, read from the stack's config (parsed once in main.ts). */
export function pullLimits(config: BerthConfig): PullLimits {
  return {
    ...DEFAULT_LIMITS,
    concurrency: config.image.pullConcurrency > 0 ? config.image.pullConcurrency : DEFAULT_LIMITS.concurrency,
    maxLayerBytes: config.image.maxLayerBytes > 0 ? config.image.maxLayerBytes : DEFAULT_LIMITS.maxLayerBytes,
  };
}
