import type { runtime } from '@berth/proto';
import { asObject, optInt, optString, optStrSlice, type JsonObject } from './json-fields.js';

/**
 * The create body's fields for the runtime's later features: Config.Healthcheck,
 * HostConfig.Ulimits and HostConfig.ShmSize (merged into the ContainerSpec by container-spec.ts).
 */
export function specExtrasFromDocker(config: JsonObject, host: JsonObject): Partial<runtime.ContainerSpec> {
  const out: Partial<runtime.ContainerSpec> = {};
  if (config['Healthcheck'] !== undefined && config['Healthcheck'] !== null) {
    const h = asObject(config['Healthcheck'], 'Healthcheck');
    const ns = (key: string) => optInt(h, key, `Healthcheck.${key}`) ?? 0;
    out.healthcheck = {
      test: optStrSlice(h, 'Test', 'Healthcheck.Test') ?? [], intervalNs: ns('Interval'), timeoutNs: ns('Timeout'),
      retries: ns('Retries'), startPeriodNs: ns('StartPeriod'), startIntervalNs: ns('StartInterval'),
    };
  }
  const ulimits = host['Ulimits'];
  if (Array.isArray(ulimits) && ulimits.length) {
    out.ulimits = {
      values: ulimits.map((u, i) => {
        const o = asObject(u, `HostConfig.Ulimits[${i}]`);
        return { name: optString(o, 'Name'), soft: optInt(o, 'Soft') ?? 0, hard: optInt(o, 'Hard') ?? 0 };
      }),
    };
  }
  const shm = optInt(host, 'ShmSize', 'HostConfig.ShmSize');
  if (shm) out.shmSize = shm;
  return out;
}

/** State.Health as Docker shows it (absent without a healthcheck). */
export function healthJson(state: runtime.ContainerState): Record<string, unknown> {
  const h = state.health;
  if (!h) return {};
  return {
    Health: {
      Status: h.status, FailingStreak: h.failingStreak,
      Log: h.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })),
    },
  };
}

/** Docker's Mounts: named and anonymous volumes with their host directories, the rest as given. */
export function withVolumeMounts(c: runtime.Container, points: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const volumes = c.volumeMounts?.values ?? [];
  const others = points.filter((p) => p['Type'] !== 'volume');
  return [
    ...others,
    ...volumes.map((v) => ({
      Type: 'volume', Name: v.name, Source: v.source, Destination: v.destination, Driver: 'local', Mode: v.readOnly ? 'ro' : '',
      RW: !v.readOnly, Propagation: '',
    })),
  ];
}
