import type { runtime } from '@berth/proto';
import { humanDuration } from '../../format/human-duration.js';

const ZERO_TIME_PREFIX = '0001-01-01';

function isZeroTime(t: string): boolean {
  return t === '' || t.startsWith(ZERO_TIME_PREFIX);
}

/**
 * The STATUS column of `docker ps`, worded as Docker words it: "Up 3 seconds", "Up 2 hours
 * (Paused)", "Restarting (1) 5 seconds ago", "Exited (0) 2 minutes ago", "Created", "Dead".
 */
export function statusText(state: runtime.ContainerState, now: Date = new Date()): string {
  const since = (t: string): string => humanDuration(now.getTime() - Date.parse(t));
  if (state.running || state.status === 'running' || state.status === 'paused' || state.status === 'restarting') {
    if (state.paused || state.status === 'paused') return `Up ${since(state.startedAt)} (Paused)`;
    if (state.restarting || state.status === 'restarting') {
      return `Restarting (${state.exitCode}) ${since(state.finishedAt)} ago`;
    }
    return `Up ${since(state.startedAt)}`;
  }
  if (state.status === 'removing') return 'Removal In Progress';
  if (state.dead || state.status === 'dead') return 'Dead';
  if (isZeroTime(state.startedAt)) return 'Created';
  if (isZeroTime(state.finishedAt)) return '';
  return `Exited (${state.exitCode}) ${since(state.finishedAt)} ago`;
}

export function zeroTimeIfEmpty(t: string): string {
  return t === '' ? '0001-01-01T00:00:00Z' : t;
}
