import path from 'node:path';
import { BerthError, serviceDirs, type BerthConfig } from '@berth/kit';
import type { DistributionClientOptions } from './domain/distribution-client.js';
import { DEFAULT_SEARCH, type RegistryOptions } from './domain/registry.js';
import type { SearchSettings } from './domain/searcher.js';

/** The pull-through proxy's settings (`[registry.proxy]` in berth.toml). */
export interface ProxySettings {
  /** Where it serves the distribution API over HTTP: "127.0.0.1:5080" ("…:0" picks a port); "" disables it. */
  address: string;
  /** Blob, manifest and tag cache; default `<stateRoot>/registry/proxy`. */
  cacheDir: string;
  /** Cached blobs beyond this are evicted, least recently used first. */
  maxCacheBytes: number;
  /** How long a cached tag is served without asking the upstream (a HEAD) again. */
  tagTtlSeconds: number;
  /** Where names without a registry host go (registry-mirror mode: `library/busybox`); "" refuses them. */
  defaultUpstream: string;
  /** A name's first component → upstream registry: `{ hub: "docker.io" }` serves `hub/library/busybox`. */
  routes: Record<string, string>;
  /** Registries clients may name by host (`/v2/127.0.0.1:5001/busybox/…`); "*" for any. */
  upstreams: string[];
  /** The proxy's own credentials towards each upstream registry. */
  credentials: Record<string, { username: string; password: string }>;
  /** Basic auth for the proxy's clients: an htpasswd file (bcrypt, checked with `htpasswd -v`)… */
  htpasswd: string;
  /** …and/or users with `sha256:<hex of the password>`. Neither: anonymous access. */
  users: Record<string, string>;
}

export interface RegistryStartOptions {
  /** Proxy settings over those of the config (`config.registry.proxy`). */
  proxy?: Partial<ProxySettings>;
  search?: Partial<SearchSettings>;
}

export interface RegistrySettings {
  client: RegistryOptions;
  /** Undefined: no proxy listener. */
  proxy?: ProxySettings;
}

const GiB = 1024 ** 3;

export function defaultProxySettings(config: BerthConfig): ProxySettings {
  return {
    address: '',
    cacheDir: path.join(serviceDirs(config, 'registry').state, 'proxy'),
    maxCacheBytes: 20 * GiB,
    tagTtlSeconds: 300,
    defaultUpstream: 'docker.io',
    routes: {},
    upstreams: [],
    credentials: {},
    htpasswd: '',
    users: {},
  };
}

/** The registry client's settings, all from the shared config (`[registry]` in berth.toml). */
export function registryOptions(config: BerthConfig): DistributionClientOptions {
  return { insecure: config.registry.insecure, mirrors: config.registry.mirrors };
}

/**
 * Everything the service needs, derived once: `[registry]` of the shared config, its typed
 * `[registry.proxy]` (BERTH_REGISTRY_PROXY_ADDRESS sets its address), the `[registry.search]`
 * table (kit keeps tables it does not type), and
 * the start options over them.
 */
export function registrySettings(config: BerthConfig, options: RegistryStartOptions = {}): RegistrySettings {
  const untyped = config.registry as BerthConfig['registry'] & { search?: unknown };
  const search: SearchSettings = { ...DEFAULT_SEARCH, ...checkObject(untyped.search, 'registry.search'), ...options.search };
  const proxy: ProxySettings = { ...defaultProxySettings(config), ...checkObject(config.registry.proxy, 'registry.proxy'), ...options.proxy };
  validateProxy(proxy);
  const client: RegistryOptions = { ...registryOptions(config), search };
  return { client, ...(proxy.address !== '' && { proxy }) };
}

function checkObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BerthError('invalid_argument', `config ${what}: not a table`);
  return value as Record<string, unknown>;
}

function validateProxy(p: ProxySettings): void {
  const bad = (field: string, why: string) => new BerthError('invalid_argument', `config registry.proxy.${field}: ${why}`);
  if (typeof p.address !== 'string') throw bad('address', 'not a string');
  if (p.address !== '' && !/^(\[[0-9a-fA-F:]+\]|[^:/\s]+):\d{1,5}$/.test(p.address)) throw bad('address', `expected host:port, got ${p.address}`);
  if (typeof p.cacheDir !== 'string' || !path.isAbsolute(p.cacheDir)) throw bad('cacheDir', 'not an absolute path');
  if (!Number.isFinite(p.maxCacheBytes) || p.maxCacheBytes <= 0) throw bad('maxCacheBytes', 'not a positive number');
  if (!Number.isFinite(p.tagTtlSeconds) || p.tagTtlSeconds < 0) throw bad('tagTtlSeconds', 'not a number ≥ 0');
  if (!Array.isArray(p.upstreams)) throw bad('upstreams', 'not a list');
  for (const [user, hash] of Object.entries(p.users)) {
    if (!/^sha256:[a-f0-9]{64}$/.test(hash)) throw bad(`users.${user}`, 'expected sha256:<64 hex digits>');
  }
}
