import type { BerthConfig } from '@berth/kit';
import type { DistributionClientOptions } from './domain/distribution-client.js';

/** The registry service's settings, all from the shared config (`[registry]` in berth.toml). */
export function registryOptions(config: BerthConfig): DistributionClientOptions {
  return { insecure: config.registry.insecure, mirrors: config.registry.mirrors };
}
