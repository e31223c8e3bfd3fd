import type { runtime } from '@berth/proto';
import type { OciRuntimeConfig } from './image-config.js';
import { isVolumePath } from './container-mounts.js';

/**
 * What Docker shows as a container's Config: the user's settings merged with the image's, by
 * Docker's rules (daemon `merge()`): unset user, working dir and stop signal come from the image;
 * image env entries whose key the user did not set are appended; image labels fill in missing
 * keys; Cmd comes from the image only when the user set neither Cmd nor Entrypoint.
 */
export interface EffectiveConfig {
  user: string;
  env: string[];
  cmd: string[] | null;
  entrypoint: string[] | null;
  workingDir: string;
  labels: Record<string, string>;
  exposedPorts: string[];
  stopSignal: string;
  volumes: Record<string, object> | null;
}

const envKey = (entry: string): string => entry.split('=', 1)[0]!;

export function effectiveConfig(spec: runtime.ContainerSpec, image: OciRuntimeConfig): EffectiveConfig {
  const userEnvKeys = new Set(spec.env.map(envKey));
  const env = spec.env.length === 0 ? [...(image.Env ?? [])] : [...spec.env, ...(image.Env ?? []).filter((e) => !userEnvKeys.has(envKey(e)))];

  let cmd: string[] | null = spec.cmd ? spec.cmd.values : null;
  let entrypoint: string[] | null = spec.entrypoint ? spec.entrypoint.values : null;
  if (entrypoint === null || entrypoint.length === 0) {
    if (cmd === null || cmd.length === 0) cmd = image.Cmd ?? null;
    if (entrypoint === null) entrypoint = image.Entrypoint ?? null;
  }

  return {
    user: spec.user || image.User || '',
    env,
    cmd,
    entrypoint,
    workingDir: spec.workingDir || image.WorkingDir || '',
    labels: { ...(image.Labels ?? {}), ...spec.labels },
    exposedPorts: [...new Set([...Object.keys(image.ExposedPorts ?? {}), ...spec.exposedPorts])],
    stopSignal: spec.stopSignal || image.StopSignal || '',
    volumes: volumes(spec, image),
  };
}

/** The image's VOLUMEs and the user's (`-v /data`: Config.Volumes, kept as bare-path binds). */
function volumes(spec: runtime.ContainerSpec, image: OciRuntimeConfig): Record<string, object> | null {
  const asked = spec.binds.filter(isVolumePath);
  if (asked.length === 0) return image.Volumes ?? null;
  return { ...(image.Volumes ?? {}), ...Object.fromEntries(asked.map((v) => [v, {}])) };
}

/** The command line Docker shows in `ps`: path and args, or entrypoint + cmd before the first start. */
export function commandLine(path: string, args: string[], config: EffectiveConfig): string {
  const argv = path !== '' ? [path, ...args] : [...(config.entrypoint ?? []), ...(config.cmd ?? [])];
  return argv.join(' ');
}
