import { removeTree } from '../oci/small-files.js';
import { BerthError } from '@berth/kit';
import { isRunning, Status, type Container } from './container.js';
import { publish, setState, type RuntimeContext } from './context.js';
import { releaseResources } from './bundle.js';
import { removeRunning } from './errors.js';
import { findContainer } from './lookup.js';
import { killAndWait } from './stop-container.js';
import { removeAnonymousVolumes } from './volume-mounts.js';
import { stopwatch } from './stopwatch.js';
import { holdsEndpoints } from './network-attachments.js';

/**
 * Docker's rm: refuses a running container unless forced (then SIGKILL and wait for the exit);
 * leaves nothing behind — runtime state, cgroup, mounts, snapshot, bundle, log, run files, row.
 */
export async function removeContainer(
  ctx: RuntimeContext, ref: string, opts: { force: boolean; removeVolumes?: boolean; afterExit?: string },
): Promise<void> {
  const c = findContainer(ctx, ref);
  if (isRunning(c)) {
    if (!opts.force) throw removeRunning(c.id);
    await killAndWait(ctx, c);
  }
  await ctx.locks.run(c.id, async () => {
    const current = ctx.db.get(c.id);
    if (!current) return; // removed meanwhile (auto-remove)
    if (isRunning(current)) throw removeRunning(c.id); // started again meanwhile
    if (current.state.status === Status.Removing) {
      throw new BerthError('failed_precondition', `removal of container ${c.id} is already in progress`);
    }
    await finishRemoval(ctx, setState(ctx, current, Status.Removing), opts.removeVolumes, releasedAtExit(current, opts.afterExit));
  });
}

/**
 * Whether the exit just recorded (auto-remove, `afterExit` = its FinishedAt) released everything
 * and nothing happened since: no start (it would have changed FinishedAt or set an error), no
 * cleanup failure, no sandbox teardown deferred. Then the removal need not release it again.
 */
function releasedAtExit(c: Container, afterExit: string | undefined): boolean {
  return afterExit !== undefined && c.state.status === Status.Exited && c.state.finishedAt === afterExit && !c.state.error && !holdsEndpoints(c);
}

/**
 * The removal proper, for a container in `removing` (also after a crash in the middle of one).
 * With `removeVolumes` (`rm -v`, `--rm`) its anonymous volumes go too — before the destroy event
 * and the `removed` waiters, as in Docker, so a `docker run --rm` that returned left none behind.
 */
export async function finishRemoval(ctx: RuntimeContext, c: Container, removeVolumes = false, released = false): Promise<void> {
  const t = stopwatch();
  try {
    if (!released) await releaseResources(ctx, c);
    t.lap('release');
    await Promise.all([
      ctx.images.removeSnapshot(c.id),
      released ? undefined : ctx.monitor.reset(c.id), // released at the exit: reset then
      (async () => removeTree(ctx.paths.bundle(c.id)))(),
    ]);
    t.lap('files');
    ctx.logger.debug({ id: c.id, ms: t.laps }, 'container removed');
  } catch (err) {
    setState(ctx, c, Status.Dead, { error: `removal failed: ${(err as Error).message}` });
    throw err;
  }
  ctx.db.delete(c.id);
  if (removeVolumes) await removeAnonymousVolumes(ctx, c.volumes ?? []);
  ctx.execs.forgetContainer(c.id);
  ctx.attaches.cancelAll(c.id);
  ctx.restarts.forget(c.id);
  ctx.health.stopped(c.id);
  await publish(ctx, c, 'destroy');
  ctx.waiters.notify(c.id, 'removed', c.state.exitCode);
}
