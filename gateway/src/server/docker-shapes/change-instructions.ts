import path from 'node:path';
import { BerthError } from '@berth/kit';
import type { OciRuntimeConfig } from './image-config.js';

/**
 * Docker's `--change` (commit, import): Dockerfile instructions applied to an image config, as
 * moby's `dockerfile.BuildFromConfig` does. Only the instructions that change the config are
 * allowed (Docker's list): CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
 * VOLUME, WORKDIR.
 */
export interface ChangedConfig {
  config: OciRuntimeConfig;
  /** A CMD was given (an ENTRYPOINT without one clears Cmd, as in a Dockerfile). */
  cmdSet: boolean;
}

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

const invalid = (message: string): BerthError => new BerthError('invalid_argument', message);

/** Applies `changes` (one instruction each; newlines also separate) to a copy of `base`. */
export function applyChanges(base: OciRuntimeConfig, changes: readonly string[]): ChangedConfig {
  const config: OciRuntimeConfig = structuredClone(base);
  let cmdSet = false;
  for (const line of changes.flatMap((c) => c.split('\n')).map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(line)!;
    const instruction = m[1]!.toUpperCase();
    const rest = (m[2] ?? '').trim();
    if (!ALLOWED.includes(instruction)) throw invalid(`${m[1]} is not a valid change command`);
    if (rest === '' && instruction !== 'CMD' && instruction !== 'ENTRYPOINT') throw invalid(`${instruction} requires at least one argument`);
    switch (instruction) {
      case 'CMD':
        config.Cmd = command(rest);
        cmdSet = true;
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = command(rest);
        if (!cmdSet) config.Cmd = null;
        break;
      case 'ENV':
        for (const [k, v] of keyValues(rest, 'ENV')) {
          const env = (config.Env ?? []).filter((e) => e.split('=', 1)[0] !== k);
          config.Env = [...env, `${k}=${v}`];
        }
        break;
      case 'LABEL':
        config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(keyValues(rest, 'LABEL')) };
        break;
      case 'EXPOSE':
        config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...Object.fromEntries(words(rest).flatMap(ports).map((p) => [p, {}])) };
        break;
      case 'VOLUME': {
        const list = rest.startsWith('[') ? jsonArray(rest, 'VOLUME') : words(rest);
        if (list.some((v) => v.trim() === '')) throw invalid('VOLUME specified can not be an empty string');
        config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(list.map((v) => [v, {}])) };
        break;
      }
      case 'USER':
        config.User = single(rest, 'USER');
        break;
      case 'WORKDIR': {
        const dir = single(rest, 'WORKDIR');
        config.WorkingDir = path.posix.isAbsolute(dir) ? path.posix.normalize(dir) : path.posix.join('/', config.WorkingDir ?? '', dir);
        break;
      }
      case 'STOPSIGNAL':
        config.StopSignal = single(rest, 'STOPSIGNAL');
        break;
      case 'ONBUILD': {
        const trigger = rest.split(/\s+/, 1)[0]!.toUpperCase();
        if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(trigger)) throw invalid(`${trigger} isn't allowed as an ONBUILD trigger`);
        config.OnBuild = [...(config.OnBuild ?? []), rest];
        break;
      }
    }
  }
  return { config, cmdSet };
}

/** JSON (exec) form when it parses as an array of strings, else the shell form: /bin/sh -c. */
function command(rest: string): string[] | null {
  if (rest === '') return null;
  if (rest.startsWith('[')) {
    try {
      return jsonArray(rest, '');
    } catch {
      // not valid JSON: Docker treats it as the shell form
    }
  }
  return ['/bin/sh', '-c', rest];
}

function jsonArray(rest: string, what: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(rest);
  } catch {
    throw invalid(`${what}: not a valid JSON array: ${rest}`);
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalid(`${what}: not a JSON array of strings: ${rest}`);
  return value;
}

function single(rest: string, what: string): string {
  const w = words(rest);
  if (w.length !== 1) throw invalid(`${what} requires exactly one argument`);
  return w[0]!;
}

/** `k=v k2="v 2"`, or the legacy one-pair `k v w` (value: the rest of the line). */
function keyValues(rest: string, what: string): Array<[string, string]> {
  const w = words(rest);
  if (!w[0]!.includes('=')) {
    if (w.length < 2) throw invalid(`${what} must have two arguments`);
    return [[w[0]!, rest.slice(rest.indexOf(' ')).trim()]];
  }
  return w.map((pair) => {
    const i = pair.indexOf('=');
    if (i <= 0) throw invalid(`${what}: ${pair} is not of the form key=value`);
    return [pair.slice(0, i), pair.slice(i + 1)];
  });
}

/** "80", "80/udp", "8000-8002/tcp" → "80/tcp", … */
function ports(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw invalid(`invalid port: ${spec}`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from) throw invalid(`invalid port range: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: to - from + 1 }, (_, i) => `${from + i}/${proto}`);
}

/** Splits on unquoted whitespace; "…" and '…' group, backslash escapes the next character. */
export function words(input: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < input.length) cur += input[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < input.length) {
      cur += input[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw invalid(`unmatched ${quote} in: ${input}`);
  if (inWord) out.push(cur);
  return out;
}

const envKey = (e: string): string => e.split('=', 1)[0]!;

/**
 * moby's commit `merge(userConf, containerConf)`: what the request's Config (with the changes
 * applied) leaves unset comes from the container's config; Env, ExposedPorts, Labels and Volumes
 * are unions (the request's value wins per key); Cmd is taken only when neither Cmd nor
 * Entrypoint was given.
 */
export function mergeCommitConfig(user: OciRuntimeConfig, container: OciRuntimeConfig): OciRuntimeConfig {
  const out: OciRuntimeConfig = { ...container, ...user };
  out.User = user.User || container.User || '';
  out.ExposedPorts = { ...(container.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  const userKeys = new Set((user.Env ?? []).map(envKey));
  out.Env = (user.Env ?? []).length === 0 ? [...(container.Env ?? [])] : [...user.Env!, ...(container.Env ?? []).filter((e) => !userKeys.has(envKey(e)))];
  out.Labels = { ...(container.Labels ?? {}), ...(user.Labels ?? {}) };
  if ((user.Entrypoint ?? []).length === 0) {
    out.Cmd = (user.Cmd ?? []).length === 0 ? (container.Cmd ?? null) : user.Cmd!;
    out.Entrypoint = user.Entrypoint === undefined || user.Entrypoint === null ? (container.Entrypoint ?? null) : user.Entrypoint;
  } else {
    out.Cmd = user.Cmd ?? null;
  }
  out.WorkingDir = user.WorkingDir || container.WorkingDir || '';
  out.Volumes = { ...(user.Volumes ?? {}), ...(container.Volumes ?? {}) };
  out.StopSignal = user.StopSignal || container.StopSignal || '';
  return out;
}
