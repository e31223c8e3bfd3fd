import { BerthError } from '@berth/kit';
import type { ContainerSpec, Healthcheck } from './container.js';

/** Docker's defaults (moby container/health.go). */
export const HEALTH_DEFAULTS = { intervalNs: 30e9, timeoutNs: 30e9, retries: 3, startPeriodNs: 0, startIntervalNs: 5e9 } as const;
const MIN_DURATION_NS = 1e6; // Docker refuses durations under 1 ms
const ON_FAILURE = new Set(['', 'none', 'kill', 'restart', 'stop']);

/** The healthcheck to run: undefined for none (no config, or test ["NONE"]). */
export function activeHealthcheck(spec: ContainerSpec): Healthcheck | undefined {
  const hc = spec.healthcheck;
  if (!hc || hc.test.length === 0 || hc.test[0] === 'NONE') return undefined;
  return hc;
}

/** Docker's checks of HealthConfig at create, and of --health-on-failure. */
export function validateHealthcheck(spec: ContainerSpec): void {
  const hc = spec.healthcheck;
  if (!ON_FAILURE.has(spec.healthOnFailure ?? '')) {
    throw new BerthError('invalid_argument', `invalid health-on-failure action: ${spec.healthOnFailure}`);
  }
  if (!hc) return;
  for (const [what, v] of [['Interval', hc.intervalNs], ['Timeout', hc.timeoutNs], ['StartPeriod', hc.startPeriodNs], ['StartInterval', hc.startIntervalNs]] as const) {
    if (v !== 0 && v < MIN_DURATION_NS) throw new BerthError('invalid_argument', `${what} in Healthcheck cannot be less than 1ms`);
  }
  if (hc.retries < 0) throw new BerthError('invalid_argument', 'Retries in Healthcheck cannot be negative');
  const kind = hc.test[0];
  if (hc.test.length && kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL') {
    throw new BerthError('invalid_argument', `invalid Healthcheck test: ${JSON.stringify(hc.test)} (the first element must be NONE, CMD or CMD-SHELL)`);
  }
  if ((kind === 'CMD' || kind === 'CMD-SHELL') && hc.test.length < 2) throw new BerthError('invalid_argument', 'Healthcheck test has no command');
}
