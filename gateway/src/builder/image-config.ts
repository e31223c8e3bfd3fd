/** Docker's image config `config` object, the part a build changes (moby's container.Config). */
export interface ContainerConfig {
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
  Shell?: string[] | null;
  Healthcheck?: HealthConfig | null;
  OnBuild?: string[] | null;
}

/** Durations in nanoseconds, as Docker stores them. */
export interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** A deep copy with the fields the builder knows, from an image config document's `config`. */
export function containerConfigOf(raw: unknown): ContainerConfig {
  const c = (raw ?? {}) as ContainerConfig;
  return JSON.parse(JSON.stringify(c)) as ContainerConfig;
}

const envKey = (kv: string) => (kv.includes('=') ? kv.slice(0, kv.indexOf('=')) : kv);

/** `KEY=value` replaced in place or appended (Docker keeps the first position of a key). */
export function setEnv(env: readonly string[], key: string, value: string): string[] {
  const out = [...env];
  const i = out.findIndex((kv) => envKey(kv) === key);
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

export function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}

/** "80" → "80/tcp"; "53/UDP" → "53/udp"; ranges are expanded as Docker does ("8000-8002/tcp"). */
export function exposedPorts(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw new Error(`invalid containerPort: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const start = Number(m[1]);
  const end = m[2] !== undefined ? Number(m[2]) : start;
  if (end < start || end > 65535) throw new Error(`invalid port range: ${spec}`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

/** Resolves a WORKDIR (or COPY destination) against the current working directory, POSIX style. */
export function resolveWorkdir(current: string | undefined, dir: string): string {
  if (dir.startsWith('/')) return normalizeAbs(dir);
  return normalizeAbs(`${current || '/'}/${dir}`);
}

function normalizeAbs(p: string): string {
  const parts: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') parts.pop();
    else parts.push(c);
  }
  return `/${parts.join('/')}`;
}
