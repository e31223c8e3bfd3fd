import { BerthError } from '@berth/kit';
import { isRunning } from './container.js';
import type { RuntimeContext } from './context.js';
import { findContainer } from './lookup.js';

/** Docker's wait conditions: "not-running" (default), "next-exit", "removed". Resolves with the exit code. */
export async function waitContainer(ctx: RuntimeContext, ref: string, condition: string, signal?: AbortSignal): Promise<number> {
  const c = findContainer(ctx, ref);
  const cond = condition || 'not-running';
  if (cond !== 'not-running' && cond !== 'next-exit' && cond !== 'removed') {
    throw new BerthError('invalid_argument', `invalid condition: "${condition}"`);
  }
  const waiter = ctx.waiters.register(c.id, cond === 'removed' ? 'removed' : 'exit', signal);
  try {
    // Checked after registering, so an exit or removal in between is not missed.
    const current = ctx.db.get(c.id);
    if (cond === 'removed' && !current) return c.state.exitCode;
    if (cond === 'not-running' && (!current || !isRunning(current))) return (current ?? c).state.exitCode;
    return await waiter.promise;
  } finally {
    waiter.cancel();
  }
}
