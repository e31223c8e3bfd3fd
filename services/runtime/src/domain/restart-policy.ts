import { BerthError } from '@berth/kit';
import type { Container } from './container.js';

const POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

/** Docker's checks of a restart policy at create and update. */
export function validateRestartPolicy(policy: { name: string; maximumRetryCount: number }, autoRemove: boolean): void {
  if (!POLICIES.has(policy.name)) throw new BerthError('invalid_argument', `invalid restart policy '${policy.name}'`);
  if (policy.maximumRetryCount < 0) throw new BerthError('invalid_argument', 'invalid restart policy: maximum retry count cannot be negative');
  if (policy.maximumRetryCount > 0 && policy.name !== 'on-failure') {
    throw new BerthError('invalid_argument', `invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  if (autoRemove && policy.name !== '' && policy.name !== 'no') {
    throw new BerthError('invalid_argument', `can't create 'AutoRemove' container with restart policy`);
  }
}

/**
 * Docker's restart manager decision at an exit: `always` and `unless-stopped` restart unless a
 * user stopped or killed the container; `on-failure[:N]` restarts a non-zero exit up to N times
 * (0: no limit).
 */
export function shouldRestart(c: Container, exitCode: number): boolean {
  const { name, maximumRetryCount: max } = c.spec.restartPolicy;
  if (c.manuallyStopped) return false;
  switch (name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (max === 0 || c.restartCount < max);
    default:
      return false;
  }
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A container that ran this long is healthy again: its back-off starts over. */
const RESET_AFTER_MS = 10_000;

/**
 * Pending policy restarts and their back-off (moby's restartmanager): 100 ms, doubling per
 * restart up to a minute, back to 100 ms after a run of 10 s or more. In memory: after a restart
 * of this service, a container found `restarting` starts again after the first delay.
 */
export class RestartScheduler {
  private readonly delays = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** The delay before the next restart of a container that ran for `ranMs`. */
  nextDelay(id: string, ranMs: number): number {
    const prev = ranMs >= RESET_AFTER_MS ? 0 : (this.delays.get(id) ?? 0);
    const delay = prev === 0 ? FIRST_DELAY_MS : Math.min(prev * 2, MAX_DELAY_MS);
    this.delays.set(id, delay);
    return delay;
  }

  schedule(id: string, delayMs: number, restart: () => Promise<void>): void {
    this.cancel(id);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      void restart();
    }, delayMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  /** True when a restart was pending. */
  cancel(id: string): boolean {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    return this.timers.delete(id);
  }

  /** A user start or removal: the back-off starts over. */
  forget(id: string): void {
    this.cancel(id);
    this.delays.delete(id);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
