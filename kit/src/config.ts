import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { BerthError } from './errors.js';

/**
 * The whole stack's configuration: defaults < /etc/berth/berth.toml < BERTH_* environment.
 * Parsed once in each main.ts, frozen, and passed down; nothing else reads the environment.
 */
export interface BerthConfig {
  /** Persistent state; each service owns `<stateRoot>/<service>`. */
  stateRoot: string;
  /** Runtime state (sockets, netns files, pid files); each service owns `<runRoot>/<service>`. */
  runRoot: string;
  logLevel: string;
  /** gRPC addresses: `unix:///run/berth/image.sock` or `host:port`. */
  addresses: { image: string; registry: string; runtime: string; network: string };
  tls: { ca?: string; cert?: string; key?: string };
  nats: {
    /** Empty: the stack starts its own nats-server on loopback. */
    url: string;
    streamMaxAgeSeconds: number;
    streamMaxBytes: number;
  };
  otel: { endpoint: string };
  /**
   * `gateway.tcp`: an optional `host:port` the gateway also serves the Engine API on, over TLS
   * with client certificates required (config.tls), as `dockerd --tlsverify`.
   */
  gateway: { socket: string; tcp: string };
  /**
   * Prometheus `/metrics` listeners, one per process: `host:port` (TCP; loopback unless the
   * scraper is elsewhere) or `unix:///path`. Empty: off (the default).
   */
  metrics: { image: string; registry: string; runtime: string; network: string; gateway: string };
  registry: {
    insecure: string[];
    mirrors: Record<string, string[]>;
    /** `[registry.proxy]`: the pull-through proxy, served when `address` is set (BERTH_REGISTRY_PROXY_ADDRESS). */
    proxy: RegistryProxyConfig;
  };
  image: { pullConcurrency: number; maxLayerBytes: number };
  runtime: {
    /** "auto" probes crun, then runc. */
    ociRuntime: string;
    cgroupParent: string;
    logMaxBytes: number;
    logMaxFiles: number;
    stopTimeoutSeconds: number;
    /**
     * Architectures the default seccomp filter covers: "native" (the host's own ABI; syscalls of
     * others, e.g. 32-bit x86 binaries, are refused) or "all" (Docker's: with the sub-architectures,
     * which costs a third of runc's create time to compile).
     */
    seccompArches: 'native' | 'all';
  };
  /** `dnsUpstreams`: `host[:port]` resolvers for names the embedded DNS does not know; empty: the host's resolv.conf. */
  network: { bridgeSubnet: string; bridgeName: string; dnsUpstreams: string[] };
}

/**
 * The registry service's pull-through proxy as the config file spells it (snake_case keys become
 * these). Only `address` has a default here; the registry service fills in and validates the rest
 * (services/registry/src/config.ts), since their defaults depend on its state directory.
 */
export interface RegistryProxyConfig {
  /** `host:port` to serve the distribution API on; "" (the default): no proxy. */
  address: string;
  cacheDir?: string;
  maxCacheBytes?: number;
  tagTtlSeconds?: number;
  defaultUpstream?: string;
  routes?: Record<string, string>;
  upstreams?: string[];
  credentials?: Record<string, { username: string; password: string }>;
  htpasswd?: string;
  users?: Record<string, string>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };
export type ConfigOverrides = DeepPartial<BerthConfig>;

export const DEFAULT_CONFIG_FILE = '/etc/berth/berth.toml';

export function defaultConfig(runRoot = '/run/berth', stateRoot = '/var/lib/berth'): BerthConfig {
  const sock = (name: string) => `unix://${path.join(runRoot, `${name}.sock`)}`;
  return {
    stateRoot,
    runRoot,
    logLevel: 'info',
    addresses: { image: sock('image'), registry: sock('registry'), runtime: sock('runtime'), network: sock('network') },
    tls: {},
    nats: { url: '', streamMaxAgeSeconds: 7 * 24 * 3600, streamMaxBytes: 256 * 1024 * 1024 },
    otel: { endpoint: '' },
    gateway: { socket: path.join(runRoot, 'berth.sock'), tcp: '' },
    metrics: { image: '', registry: '', runtime: '', network: '', gateway: '' },
    registry: { insecure: [], mirrors: {}, proxy: { address: '' } },
    image: { pullConcurrency: 3, maxLayerBytes: 64 * 1024 ** 3 },
    runtime: { ociRuntime: 'auto', cgroupParent: 'berth', logMaxBytes: 10 * 1024 * 1024, logMaxFiles: 3, stopTimeoutSeconds: 10, seccompArches: 'native' },
    network: { bridgeSubnet: '10.201.0.0/16', bridgeName: 'berth0', dnsUpstreams: [] },
  };
}

function merge<T>(base: T, over: unknown): T {
  if (over === undefined || over === null) return base;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    out[k] = k in out ? merge(out[k], v) : v;
  }
  return out as T;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const num = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new BerthError('invalid_argument', `${name}: not a number: ${v}`);
  return n;
};

/** The BERTH_* variables and where they land. */
function fromEnv(env: Record<string, string | undefined>): ConfigOverrides {
  const o: ConfigOverrides & Record<string, any> = {};
  const set = (pathParts: string[], value: unknown) => {
    let cur: Record<string, any> = o;
    for (const p of pathParts.slice(0, -1)) cur = cur[p] ??= {};
    cur[pathParts[pathParts.length - 1]!] = value;
  };
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  const table: Array<[string, string[], (v: string) => unknown]> = [
    ['BERTH_STATE_ROOT', ['stateRoot'], String],
    ['BERTH_RUN_ROOT', ['runRoot'], String],
    ['BERTH_LOG_LEVEL', ['logLevel'], String],
    ['BERTH_IMAGE_ADDRESS', ['addresses', 'image'], String],
    ['BERTH_REGISTRY_ADDRESS', ['addresses', 'registry'], String],
    ['BERTH_RUNTIME_ADDRESS', ['addresses', 'runtime'], String],
    ['BERTH_NETWORK_ADDRESS', ['addresses', 'network'], String],
    ['BERTH_TLS_CA', ['tls', 'ca'], String],
    ['BERTH_TLS_CERT', ['tls', 'cert'], String],
    ['BERTH_TLS_KEY', ['tls', 'key'], String],
    ['BERTH_NATS_URL', ['nats', 'url'], String],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', ['otel', 'endpoint'], String],
    ['BERTH_GATEWAY_SOCKET', ['gateway', 'socket'], String],
    ['BERTH_GATEWAY_TCP', ['gateway', 'tcp'], String],
    ['BERTH_METRICS_IMAGE', ['metrics', 'image'], String],
    ['BERTH_METRICS_REGISTRY', ['metrics', 'registry'], String],
    ['BERTH_METRICS_RUNTIME', ['metrics', 'runtime'], String],
    ['BERTH_METRICS_NETWORK', ['metrics', 'network'], String],
    ['BERTH_METRICS_GATEWAY', ['metrics', 'gateway'], String],
    ['BERTH_NATS_STREAM_MAX_AGE', ['nats', 'streamMaxAgeSeconds'], (v) => num('BERTH_NATS_STREAM_MAX_AGE', v)],
    ['BERTH_NATS_STREAM_MAX_BYTES', ['nats', 'streamMaxBytes'], (v) => num('BERTH_NATS_STREAM_MAX_BYTES', v)],
    ['BERTH_INSECURE_REGISTRIES', ['registry', 'insecure'], list],
    ['BERTH_REGISTRY_PROXY_ADDRESS', ['registry', 'proxy', 'address'], String],
    ['BERTH_PULL_CONCURRENCY', ['image', 'pullConcurrency'], (v) => num('BERTH_PULL_CONCURRENCY', v)],
    ['BERTH_OCI_RUNTIME', ['runtime', 'ociRuntime'], String],
    ['BERTH_CGROUP_PARENT', ['runtime', 'cgroupParent'], String],
    ['BERTH_SECCOMP_ARCHES', ['runtime', 'seccompArches'], (v) => {
      if (v !== 'native' && v !== 'all') throw new BerthError('invalid_argument', `BERTH_SECCOMP_ARCHES: "native" or "all", not ${v}`);
      return v;
    }],
    ['BERTH_BRIDGE_SUBNET', ['network', 'bridgeSubnet'], String],
    ['BERTH_BRIDGE_NAME', ['network', 'bridgeName'], String],
    ['BERTH_DNS_UPSTREAMS', ['network', 'dnsUpstreams'], list],
  ];
  for (const [name, where, conv] of table) {
    const v = env[name];
    if (v !== undefined && v !== '') set(where, conv(v));
  }
  return o;
}

/** snake_case keys of the TOML file become camelCase fields. */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), camelKeys(v)]),
    );
  }
  return value;
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  /** TOML file; default BERTH_CONFIG or /etc/berth/berth.toml; null for none. */
  file?: string | null;
  overrides?: ConfigOverrides;
}

export function loadConfig(options: LoadConfigOptions = {}): BerthConfig {
  const env = options.env ?? {};
  const fileOver = loadFile(options.file === null ? null : (options.file ?? env.BERTH_CONFIG ?? DEFAULT_CONFIG_FILE));
  const envOver = fromEnv(env);
  // Roots decide the default socket paths, so settle them first.
  const runRoot = envOver.runRoot ?? options.overrides?.runRoot ?? (fileOver.runRoot as string | undefined) ?? '/run/berth';
  const stateRoot =
    envOver.stateRoot ?? options.overrides?.stateRoot ?? (fileOver.stateRoot as string | undefined) ?? '/var/lib/berth';
  let config = defaultConfig(runRoot, stateRoot);
  config = merge(config, fileOver);
  config = merge(config, envOver);
  config = merge(config, options.overrides);
  return deepFreeze(config);
}

function loadFile(file: string | null): ConfigOverrides {
  if (!file || !existsSync(file)) return {};
  try {
    return camelKeys(parseToml(readFileSync(file, 'utf8'))) as ConfigOverrides;
  } catch (err) {
    throw new BerthError('invalid_argument', `config ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** A gRPC address that is not a unix socket: TCP `host:port`, where TLS applies. */
export function isTcpAddress(address: string): boolean {
  return address !== '' && !address.startsWith('unix:');
}

/** A service's own state and run directories. */
export function serviceDirs(config: BerthConfig, service: string): { state: string; run: string } {
  return { state: path.join(config.stateRoot, service), run: path.join(config.runRoot, service) };
}

/**
 * The image service's ingest directory (partial blobs): the one place, besides its own state,
 * where the registry service writes. A pull's layer bytes go straight from the registry's socket
 * into their ingest file there (StreamBlob's `into_file`), not through a second socket.
 */
export function ingestDir(config: BerthConfig): string {
  return path.join(serviceDirs(config, 'image').state, 'content', 'ingest');
}
