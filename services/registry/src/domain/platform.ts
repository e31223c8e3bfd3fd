import { BerthError, formatPlatform, platformRank, type Platform } from '@berth/kit';
import type { Descriptor } from './media-types.js';

// Platform normalisation, matching and formatting live in kit (kit/src/platform.ts), shared by every service.
export { formatPlatform, hostPlatform, normalizePlatform, platformRank, requestedPlatform, type Platform } from '@berth/kit';

/**
 * The manifest of an index that best matches `want` (ties: the first listed, as containerd).
 * Entries without a platform (attestations, artefacts) never match. Throws `not_found`.
 */
export function selectManifest(manifests: Descriptor[], want: Platform): Descriptor {
  let best: Descriptor | undefined;
  let bestRank = Infinity;
  for (const d of manifests) {
    if (!d.platform) continue;
    const rank = platformRank(want, d.platform);
    if (rank >= 0 && rank < bestRank) {
      best = d;
      bestRank = rank;
    }
  }
  if (!best) {
    throw new BerthError('not_found', `no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
  }
  return best;
}
