import type { HealthLogEntry, HealthState } from './container.js';

/** Docker keeps the last five probe results. */
const KEEP_LOG = 5;

export interface ProbeResult {
  exitCode: number;
  output: string;
}

/**
 * Docker's health bookkeeping after one probe: success makes it healthy and resets the failing
 * streak; a failure counts (except during the start period) and makes it unhealthy once the
 * streak reaches `retries`.
 */
export function applyHealthResult(
  before: HealthState, result: ProbeResult & { start: string; end: string }, retries: number, inStartPeriod: boolean,
): HealthState {
  const entry: HealthLogEntry = { start: result.start, end: result.end, exitCode: result.exitCode, output: result.output };
  const log = [...before.log, entry].slice(-KEEP_LOG);
  if (result.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  if (inStartPeriod) return { ...before, log };
  const failingStreak = before.failingStreak + 1;
  return { status: failingStreak >= retries ? 'unhealthy' : before.status, failingStreak, log };
}
