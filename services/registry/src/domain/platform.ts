import os from 'node:os';
import { BerthError } from '@berth/kit';
import type { Descriptor } from './media-types.js';

/** An OCI platform; `variant` is "" when the architecture has none (or its default one). */
export interface Platform {
  os: string;
  architecture: string;
  variant: string;
}

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  i386: '386', ia32: '386', x86_64: 'amd64', 'x86-64': 'amd64', x64: 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm',
};

/**
 * containerd's platforms.Normalize: aliases to GOARCH names, "v"-prefixed variants, default
 * variants made implicit (amd64/v1 and arm64/v8 are "", arm without a variant is v7).
 */
export function normalizePlatform(p: Partial<Platform>): Platform {
  const osName = (p.os ?? '').toLowerCase() === 'macos' ? 'darwin' : (p.os ?? '').toLowerCase();
  const rawArch = (p.architecture ?? '').toLowerCase();
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  let variant = (p.variant ?? '').toLowerCase();
  if (/^[0-9]/.test(variant)) variant = `v${variant}`;
  if (rawArch === 'armhf' && variant === '') variant = 'v7';
  if (rawArch === 'armel' && variant === '') variant = 'v6';
  if (architecture === 'amd64' && variant === 'v1') variant = '';
  if (architecture === 'arm64' && (variant === 'v8' || variant === 'v8.0')) variant = '';
  if (architecture === 'arm' && variant === '') variant = 'v7';
  return { os: osName, architecture, variant };
}

/** The platform containers run on here (always linux: berth runs Linux containers). */
export function hostPlatform(): Platform {
  const vars = process.config.variables as unknown as Record<string, unknown>;
  const armVersion = process.arch === 'arm' ? String(vars['arm_version'] ?? '7') : '';
  const arch = process.arch === 'ppc64' && os.endianness() === 'LE' ? 'ppc64le' : process.arch;
  return normalizePlatform({ os: 'linux', architecture: arch, variant: armVersion });
}

/** A request's platform with empty fields filled from the host's (as the proto documents). */
export function requestedPlatform(p: Partial<Platform> | undefined): { platform: Platform; explicit: boolean } {
  const host = hostPlatform();
  const explicit = Boolean(p?.os || p?.architecture || p?.variant);
  if (!p?.architecture) return { platform: normalizePlatform({ ...host, os: p?.os || host.os }), explicit };
  return { platform: normalizePlatform({ os: p.os || host.os, architecture: p.architecture, variant: p.variant }), explicit };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Variants that can run where `variant` runs, best first (arm v7 runs v6 and v5 code, ...). */
function compatibleVariants(p: Platform): string[] {
  const m = /^v([0-9]+)$/.exec(p.variant);
  if (p.architecture === 'arm' && m) {
    const out: string[] = [];
    for (let n = Number(m[1]); n >= 5; n--) out.push(`v${n}`);
    return out;
  }
  if (p.architecture === 'amd64' && m) {
    const out: string[] = [];
    for (let n = Number(m[1]); n >= 2; n--) out.push(`v${n}`);
    return [...out, ''];
  }
  return [p.variant];
}

/** Ranks how well `candidate` serves `want`: 0 is best, -1 is "cannot run". */
export function platformRank(want: Platform, candidate: Partial<Platform>): number {
  const c = normalizePlatform(candidate);
  if (c.os !== want.os || c.architecture !== want.architecture) return -1;
  return compatibleVariants(want).indexOf(c.variant);
}

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
