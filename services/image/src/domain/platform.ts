import os from 'node:os';
import type { Platform } from './types.js';

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  i386: '386', ia32: '386', x86_64: 'amd64', 'x86-64': 'amd64', x64: 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm',
};

/**
 * containerd's platforms.Normalize (as the registry service applies it to pulls): GOARCH names,
 * "v"-prefixed variants, default variants made implicit (amd64/v1 and arm64/v8 are "", arm
 * without a variant is v7), so two spellings of one platform compare equal.
 */
export function normalizePlatform(p: Partial<Platform>): Required<Platform> {
  const rawArch = (p.architecture ?? '').toLowerCase();
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  let variant = (p.variant ?? '').toLowerCase();
  if (/^[0-9]/.test(variant)) variant = `v${variant}`;
  if (rawArch === 'armel' && variant === '') variant = 'v6';
  if (architecture === 'amd64' && variant === 'v1') variant = '';
  if (architecture === 'arm64' && (variant === 'v8' || variant === 'v8.0')) variant = '';
  if (architecture === 'arm' && variant === '') variant = 'v7';
  return { os: (p.os ?? '').toLowerCase(), architecture, variant };
}

/** The platform berth's containers run on (always linux). */
export function hostPlatform(): Required<Platform> {
  const arch = process.arch === 'ppc64' && os.endianness() === 'LE' ? 'ppc64le' : process.arch;
  return normalizePlatform({ os: 'linux', architecture: arch });
}

/** containerd's platforms.OnlyStrict: the same os, architecture and variant, once normalized. */
export function samePlatform(a: Partial<Platform>, b: Partial<Platform>): boolean {
  const x = normalizePlatform(a);
  const y = normalizePlatform(b);
  return x.os === y.os && x.architecture === y.architecture && x.variant === y.variant;
}

/** "linux/arm/v7", normalized ("linux/arm64" for arm64/v8), as containerd's platforms.Format. */
export function formatPlatform(p: Partial<Platform>): string {
  const n = normalizePlatform(p);
  return [n.os || 'unknown', n.architecture || 'unknown', n.variant].filter(Boolean).join('/');
}
