import { Status, type Container } from './container.js';
import { mustGet, publish, setState, type RuntimeContext } from './context.js';
import { startLocked } from './start-container.js';

/** After an exit the restart policy wants undone: a start after the back-off delay. */
export function scheduleRestart(ctx: RuntimeContext, c: Container, ranMs: number): void {
  const delay = ctx.restarts.nextDelay(c.id, ranMs);
  ctx.logger.debug({ id: c.id, delay, restartCount: c.restartCount }, 'restart scheduled by policy');
  ctx.restarts.schedule(c.id, delay, () => restartNow(ctx, c.id));
}

/** The policy restart itself: only if still `restarting` (a stop, kill or removal cancels it). */
async function restartNow(ctx: RuntimeContext, id: string): Promise<void> {
  await ctx.locks.run(id, async () => {
    const c = ctx.db.get(id);
    if (!c || c.state.status !== Status.Restarting) return;
    try {
      await publish(ctx, await startLocked(ctx, c), 'start');
    } catch (err) {
      // Docker leaves a container whose restart failed stopped, with the error.
      ctx.logger.warn({ err, id }, 'restart by policy failed');
      setState(ctx, mustGet(ctx, id), Status.Exited, { error: `restart failed: ${(err as Error).message}` });
    }
  }).catch((err: unknown) => ctx.logger.error({ err, id }, 'restart by policy'));
}

/**
 * A user stops, kills or removes a container waiting for its policy restart: the restart is
 * dropped and the container is `exited`. Returns true when it was waiting.
 */
export async function cancelRestart(ctx: RuntimeContext, id: string): Promise<boolean> {
  return ctx.locks.run(id, async () => {
    const c = ctx.db.get(id);
    if (!c || c.state.status !== Status.Restarting) return false;
    ctx.restarts.cancel(id);
    setState(ctx, c, Status.Exited, { manuallyStopped: true });
    return true;
  });
}

/** After a restart of this service: containers it left waiting for a policy restart get one. */
export function resumeRestart(ctx: RuntimeContext, c: Container): void {
  scheduleRestart(ctx, c, 0);
}
