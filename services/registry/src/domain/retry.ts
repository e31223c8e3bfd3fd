import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '@berth/kit';

/** Bounded retries: connection failures, 408/429/5xx (not 501), honouring `Retry-After`. */
export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error goes to the caller. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 3_000, maxRetryAfterMs: 10_000 };

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** Exponential backoff with jitter in [d/2, d]. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const d = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return d / 2 + Math.random() * (d / 2);
}

/**
 * The wait a response asks for: `Retry-After` in seconds or as an HTTP date, else the backoff;
 * undefined when the server asks for longer than the policy allows.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfter: string | undefined, now = Date.now()): number | undefined {
  if (!retryAfter) return backoffDelay(policy, attempt);
  const seconds = Number(retryAfter);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now;
  if (!Number.isFinite(ms)) return backoffDelay(policy, attempt);
  if (ms > policy.maxRetryAfterMs) return undefined;
  return Math.max(0, ms);
}

/** Waits, or throws `cancelled` as soon as the signal aborts. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) {
      throw signal.reason instanceof BerthError ? signal.reason : new BerthError('cancelled', 'request cancelled', { cause: err });
    }
    throw err;
  }
}
