import { BerthError } from '@berth/kit';
import { isRunning, Status } from './container.js';
import { mustGet, publish, setState, type RuntimeContext } from './context.js';
import { notRunning } from './errors.js';

/** Docker's pause: freezes every process of the container (the freezer cgroup, `runtime pause`). */
export async function pauseContainer(ctx: RuntimeContext, id: string): Promise<void> {
  await ctx.locks.run(id, async () => {
    const c = mustGet(ctx, id);
    if (c.state.status === Status.Paused) throw new BerthError('failed_precondition', `Container ${id} is already paused`);
    if (c.state.status === Status.Restarting) throw new BerthError('failed_precondition', `Container ${id} is restarting, wait until the container is running`);
    if (!isRunning(c)) throw notRunning(id);
    await ctx.runtime.pause(id);
    await publish(ctx, setState(ctx, c, Status.Paused), 'pause');
  });
}

/** Docker's unpause: thaws the container's processes. */
export async function unpauseContainer(ctx: RuntimeContext, id: string): Promise<void> {
  await ctx.locks.run(id, async () => {
    const c = mustGet(ctx, id);
    if (c.state.status !== Status.Paused) throw new BerthError('failed_precondition', `Container ${id} is not paused`);
    await ctx.runtime.resume(id);
    await publish(ctx, setState(ctx, c, Status.Running), 'unpause');
  });
}

/**
 * After a stop or kill signal to a paused container: thaw it, so the signal is acted upon (a
 * frozen process dies of SIGKILL only once thawed). The container is `running` again.
 */
export async function thawAfterSignal(ctx: RuntimeContext, id: string): Promise<void> {
  await ctx.locks.run(id, async () => {
    const c = ctx.db.get(id);
    if (c?.state.status !== Status.Paused) return;
    await ctx.runtime.resume(id).catch((err: unknown) => ctx.logger.warn({ err, id }, 'thaw after a signal'));
    await publish(ctx, setState(ctx, c, Status.Running), 'unpause');
  });
}
