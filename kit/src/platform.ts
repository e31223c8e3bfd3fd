import os from 'node:os';

/**
 * OCI platforms as containerd's `platforms` package treats them, for every service: the registry
 * (index selection), the image store (which manifests an index keeps, load, push), the builder and
 * the Engine API (`Os`, `Arch`).
 */

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
 * variants made implicit (amd64/v1 and arm64/v8 are "", arm without a variant is v7; armhf is
 * arm/v7, armel arm/v6), "macos" is darwin — so two spellings of one platform compare equal.
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

/** Go's name (GOARCH, Docker's `Arch`) for Node's process.arch: x64 → amd64, ppc64 (little-endian) → ppc64le … */
export function goArch(nodeArch: string = process.arch): string {
  if (nodeArch === 'ppc64') return os.endianness() === 'LE' ? 'ppc64le' : 'ppc64';
  return ARCH_ALIASES[nodeArch] ?? nodeArch;
}

/** The platform containers run on here (always linux: berth runs Linux containers). */
export function hostPlatform(): Platform {
  const vars = process.config.variables as unknown as Record<string, unknown>;
  const armVersion = process.arch === 'arm' ? String(vars['arm_version'] ?? '7') : '';
  return normalizePlatform({ os: 'linux', architecture: goArch(), variant: armVersion });
}

/** A request's platform with empty fields filled from the host's; `explicit` when it named any. */
export function requestedPlatform(p: Partial<Platform> | undefined): { platform: Platform; explicit: boolean } {
  const host = hostPlatform();
  const explicit = Boolean(p?.os || p?.architecture || p?.variant);
  if (!p?.architecture) return { platform: normalizePlatform({ ...host, os: p?.os || host.os }), explicit };
  return { platform: normalizePlatform({ os: p.os || host.os, architecture: p.architecture, variant: p.variant }), explicit };
}

/** "linux/arm/v7", normalized ("linux/arm64" for arm64/v8), as containerd's platforms.Format. */
export function formatPlatform(p: Partial<Platform>): string {
  const n = normalizePlatform(p);
  return [n.os || 'unknown', n.architecture || 'unknown', n.variant].filter(Boolean).join('/');
}

/** containerd's platforms.OnlyStrict: the same os, architecture and variant, once normalized. */
export function samePlatform(a: Partial<Platform>, b: Partial<Platform>): boolean {
  const x = normalizePlatform(a);
  const y = normalizePlatform(b);
  return x.os === y.os && x.architecture === y.architecture && x.variant === y.variant;
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

/** Ranks how well `candidate` serves `want` (normalized): 0 is best, -1 is "cannot run". */
export function platformRank(want: Platform, candidate: Partial<Platform>): number {
  const c = normalizePlatform(candidate);
  if (c.os !== want.os || c.architecture !== want.architecture) return -1;
  return compatibleVariants(want).indexOf(c.variant);
}
