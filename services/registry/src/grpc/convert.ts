import type { registry, types } from '@berth/proto';
import type { Credentials } from '../domain/auth.js';
import type { Platform } from '../domain/platform.js';
import type { Resolved } from '../domain/resolver.js';
import type { SearchResult } from '../domain/searcher.js';

/** Engine API credentials → domain credentials; only the fields that are set. */
export function credsFromProto(auth: types.RegistryAuth | undefined): Credentials | undefined {
  if (!auth) return undefined;
  const creds: Credentials = {
    ...(auth.username && { username: auth.username }),
    ...(auth.password && { password: auth.password }),
    ...(auth.identityToken && { identityToken: auth.identityToken }),
    ...(auth.registryToken && { registryToken: auth.registryToken }),
  };
  return Object.keys(creds).length > 0 ? creds : undefined;
}

export function platformFromProto(p: types.Platform | undefined): Partial<Platform> | undefined {
  return p ? { os: p.os, architecture: p.architecture, variant: p.variant } : undefined;
}

export function platformToProto(p: Platform): types.Platform {
  return { os: p.os, architecture: p.architecture, variant: p.variant };
}

export function resolvedToProto(r: Resolved): registry.ResolveResponse {
  return {
    repository: r.repository,
    tag: r.tag,
    digest: r.digest,
    mediaType: r.mediaType,
    manifestDigest: r.manifestDigest,
    manifestMediaType: r.manifestMediaType,
    manifest: r.manifest,
    platform: platformToProto(r.platform),
    index: r.index ?? Buffer.alloc(0),
  };
}

export function filtersFromProto(filters: types.Filter[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of filters) (out[f.key] ??= []).push(...f.values);
  return out;
}

export function searchResultToProto(r: SearchResult): registry.SearchResult {
  return { name: r.name, description: r.description, starCount: r.starCount, isOfficial: r.isOfficial, isAutomated: r.isAutomated };
}
