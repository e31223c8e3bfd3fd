import { BerthError } from '@berth/kit';
import { isRunning, type Container } from './container.js';
import { publish, type RuntimeContext } from './context.js';
import { notRunning } from './errors.js';
import { within } from './exit-waiters.js';
import { findContainer } from './lookup.js';
import { parseSignal, SIGKILL, SIGTERM } from './signals.js';
import { cancelRestart } from './policy-restart.js';
import { thawAfterSignal } from './pause-container.js';

/** After SIGKILL a container is gone within moments; longer means something is badly wrong. */
const KILL_GRACE_MS = 30_000;

export interface StopOptions {
  timeoutSeconds?: number;
  signal?: string;
}

/**
 * Docker's stop: the stop signal (request, container, image, SIGTERM), up to the timeout (request,
 * container, default 10 s; negative waits forever), then SIGKILL. Events: kill (each signal), stop.
 */
export async function stopContainer(ctx: RuntimeContext, ref: string, opts: StopOptions): Promise<{ alreadyStopped: boolean }> {
  const found = findContainer(ctx, ref);
  if (await stoppedByUser(ctx, found)) {
    await publish(ctx, found, 'stop');
    return { alreadyStopped: false };
  }
  const exit = ctx.waiters.register(found.id, 'exit');
  try {
    const c = ctx.db.get(found.id);
    if (!c || !isRunning(c)) return { alreadyStopped: true };
    const signal = parseSignal(opts.signal || c.spec.stopSignal || String(SIGTERM));
    const timeout = opts.timeoutSeconds ?? c.spec.stopTimeout ?? ctx.defaultStopTimeoutSeconds;
    let exited = false;
    if (timeout !== 0 || signal === SIGKILL) {
      await sendSignal(ctx, c, signal);
      exited = timeout < 0 ? (await exit.promise, true) : (await within(exit.promise, timeout * 1000)) !== undefined;
    }
    if (!exited) {
      await sendSignal(ctx, c, SIGKILL);
      if ((await within(exit.promise, KILL_GRACE_MS)) === undefined) {
        throw new BerthError('deadline_exceeded', `container ${c.id} did not exit after SIGKILL`);
      }
    }
    await publish(ctx, c, 'stop');
    return { alreadyStopped: false };
  } finally {
    exit.cancel();
  }
}

/** Docker's kill: a signal (default SIGKILL) to a running container; does not wait. */
export async function killContainer(ctx: RuntimeContext, ref: string, signalText: string): Promise<void> {
  const c = findContainer(ctx, ref);
  const signal = parseSignal(signalText || 'SIGKILL');
  if (!isRunning(c)) throw notRunning(c.id);
  if (await stoppedByUser(ctx, c)) return;
  await sendSignal(ctx, c, signal);
}

/**
 * A user stops or kills a container: restart policies must leave the coming exit alone (Docker's
 * HasBeenManuallyStopped). One waiting for a policy restart simply stays stopped: true then.
 */
async function stoppedByUser(ctx: RuntimeContext, c: Container): Promise<boolean> {
  if (isRunning(c)) ctx.db.updateState(c.id, { manuallyStopped: true });
  return cancelRestart(ctx, c.id); // checks the current state under the lock: an exit may just have happened
}

/** SIGKILL and wait for the exit to be recorded (forced remove). */
export async function killAndWait(ctx: RuntimeContext, c: Container): Promise<void> {
  if (await stoppedByUser(ctx, c)) return;
  const exit = ctx.waiters.register(c.id, 'exit');
  try {
    const current = ctx.db.get(c.id);
    if (!current || !isRunning(current)) return;
    await sendSignal(ctx, current, SIGKILL);
    if ((await within(exit.promise, KILL_GRACE_MS)) === undefined) {
      throw new BerthError('deadline_exceeded', `container ${c.id} did not exit after SIGKILL`);
    }
  } finally {
    exit.cancel();
  }
}

async function sendSignal(ctx: RuntimeContext, c: Container, signal: number): Promise<void> {
  // SIGKILL goes to every process: an init that ignores it (pid 1 in its namespace) would keep the rest.
  await ctx.runtime.kill(c.id, signal, signal === SIGKILL);
  await publish(ctx, c, 'kill', { signal: String(signal) });
  await thawAfterSignal(ctx, c.id); // a frozen process would not act on it
}
