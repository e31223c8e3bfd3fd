import path from 'node:path';
import { BerthError } from '@berth/kit';
import type { ContainerSpec, Healthcheck } from './container.js';
import type { ImageRunConfig } from './image-provider.js';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const envKey = (kv: string) => {
  const i = kv.indexOf('=');
  return i < 0 ? kv : kv.slice(0, i);
};

/** `base` with each of `over` replacing the entry of the same key or appended; "KEY" alone unsets (Docker's ReplaceOrAppendEnvValues). */
export function mergeEnv(base: readonly string[], over: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const kv of base) byKey.set(envKey(kv), kv);
  for (const kv of over) {
    if (kv.includes('=')) byKey.set(envKey(kv), kv);
    else byKey.delete(kv);
  }
  return [...byKey.values()];
}

/** Create-time merge (moby `merge`): the request's env first, then the image's entries it does not override. */
export function mergeImageEnv(image: readonly string[], request: readonly string[]): string[] {
  const keys = new Set(request.map(envKey));
  return [...request, ...image.filter((kv) => !keys.has(envKey(kv)))];
}

/**
 * The spec with the image's defaults merged in, as Docker's daemon does at create (moby `merge`):
 * env from the image under the request's; an entrypoint given by the request drops the image's cmd;
 * an explicitly empty entrypoint clears the image's.
 */
export function applyImageDefaults(spec: ContainerSpec, image: ImageRunConfig): ContainerSpec {
  const out: ContainerSpec = { ...spec, labels: { ...image.labels, ...spec.labels } };
  out.env = mergeImageEnv(image.env, spec.env);
  if (!spec.entrypoint || spec.entrypoint.length === 0) {
    if (!spec.cmd || spec.cmd.length === 0) out.cmd = image.cmd;
    if (spec.entrypoint === undefined) out.entrypoint = image.entrypoint;
  }
  out.workingDir ||= image.workingDir;
  out.user ||= image.user;
  out.stopSignal ||= image.stopSignal;
  out.exposedPorts = [...new Set([...image.exposedPorts, ...spec.exposedPorts])];
  const hc = mergeHealthcheck(spec.healthcheck, image.healthcheck);
  if (hc) out.healthcheck = hc;
  return out;
}

/** argv: entrypoint + cmd; `invalid_argument` when there is none. */
export function processArgs(spec: ContainerSpec): string[] {
  const argv = [...(spec.entrypoint ?? []), ...(spec.cmd ?? [])];
  if (argv.length === 0) throw new BerthError('invalid_argument', 'no command specified');
  return argv;
}

/** Docker refuses relative working directories at create. */
export function validateWorkingDir(dir: string): void {
  if (dir && !path.isAbsolute(dir)) {
    throw new BerthError('invalid_argument', `the working directory '${dir}' is invalid, it needs to be an absolute path`);
  }
}

/** The process environment at start: PATH, HOSTNAME, TERM defaults under the container's env, then HOME. */
export function processEnv(spec: ContainerSpec, hostname: string, home: string): string[] {
  const base = [DEFAULT_PATH_ENV, `HOSTNAME=${hostname}`];
  if (spec.tty) base.push('TERM=xterm');
  const env = mergeEnv(base, spec.env);
  if (!env.some((kv) => envKey(kv) === 'HOME')) env.push(`HOME=${home}`);
  return env;
}

/**
 * moby's merge of HEALTHCHECK: the request's healthcheck, with its empty test and zero durations
 * and retries taken from the image's; none from the request: the image's.
 */
export function mergeHealthcheck(req: Healthcheck | undefined, image: Healthcheck | undefined): Healthcheck | undefined {
  if (!req) return image;
  if (!image) return req;
  return {
    test: req.test.length ? req.test : image.test,
    intervalNs: req.intervalNs || image.intervalNs,
    timeoutNs: req.timeoutNs || image.timeoutNs,
    retries: req.retries || image.retries,
    startPeriodNs: req.startPeriodNs || image.startPeriodNs,
    startIntervalNs: req.startIntervalNs || image.startIntervalNs,
  };
}
