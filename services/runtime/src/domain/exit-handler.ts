import { setTimeout as delay } from 'node:timers/promises';
import { isRunning, Status, type Container } from './container.js';
import { cgroupsPath, mustGet, publish, setState, type RuntimeContext } from './context.js';
import { releaseResources } from './bundle.js';
import { finishRemoval, removeContainer } from './remove-container.js';
import { resumeRestart, scheduleRestart } from './policy-restart.js';
import { shouldRestart } from './restart-policy.js';
import { publishVolumeMounts } from './volume-mounts.js';
import { stopwatch } from './stopwatch.js';
import { SIGKILL } from './signals.js';
import { rfc3339FromNs, nowNs } from './time.js';

/** Exit code recorded when the monitor vanished without writing one (Docker's "unknown"). */
const LOST_EXIT_CODE = 255;

/**
 * Records that a running container has stopped: exit code and time from conmon's exit file (so an
 * exit that happened while this service was down keeps its real time), runtime container deleted,
 * rootfs unmounted, state `exited` (or `restarting` when its restart policy says so, the restart
 * following after the back-off), then the `die` event and waiters. Does nothing when the
 * container is not running or is still running. Returns the container when it did record an exit.
 */
export async function handleExit(ctx: RuntimeContext, id: string): Promise<Container | undefined> {
  const exited = await ctx.locks.run(id, async () => {
    const c = ctx.db.get(id);
    if (!c || (c.state.status !== Status.Running && c.state.status !== Status.Paused)) return undefined;
    let status = await ctx.monitor.exitStatus(id);
    let error = '';
    if (!status) {
      if (await ctx.monitor.isAlive(c.monitorPid, id)) return undefined;
      status = await ctx.monitor.exitStatus(id); // it may have written the file just before leaving
      if (!status) {
        // conmon died (killed?) without recording an exit: make sure the container is gone too.
        error = 'container monitor exited without recording an exit code';
        await ctx.runtime.kill(id, SIGKILL, true).catch((err: unknown) => ctx.logger.warn({ err, id }, 'kill of an orphaned container'));
        status = { code: LOST_EXIT_CODE, atNs: nowNs() };
      }
    }
    ctx.health.stopped(id);
    const t = stopwatch();
    // conmon drains the log before it writes the exit file; waiting for it is for the process table,
    // and the container's resources need not wait for that.
    const [, oomKilled] = await Promise.all([
      waitForMonitorExit(ctx, c),
      (async () => {
        const oom = await ctx.cgroups.oomKilled(cgroupsPath(ctx, id)); // before the runtime deletes the cgroup
        // A cleanup that fails (a cgroup that will not go, a busy mount) must not keep the exit
        // from being recorded — waiters, stop and remove would hang on it. It is logged and shown
        // in State.Error; the next start or the removal tries again.
        await releaseResources(ctx, c).catch((err: unknown) => {
          ctx.logger.error({ err, id }, 'cleanup after an exit failed');
          error ||= `cleanup after exit failed: ${(err as Error).message}`;
        });
        return oom;
      })(),
    ]);
    t.lap('release');
    const restart = shouldRestart(c, status.code);
    const updated = setState(ctx, c, restart ? Status.Restarting : Status.Exited, {
      exitCode: status.code, finishedAt: rfc3339FromNs(status.atNs), pid: 0, monitorPid: 0, error, oomKilled,
      ...(restart ? { restartCount: c.restartCount + 1 } : {}),
    });
    await ctx.monitor.reset(id);
    await publishVolumeMounts(ctx, updated, 'unmount');
    if (oomKilled) await publish(ctx, updated, 'oom');
    await publish(ctx, updated, 'die', { exitCode: String(status.code) });
    ctx.waiters.notify(id, 'exit', status.code);
    t.lap('record');
    ctx.logger.debug({ id, ms: t.laps }, 'exit handled');
    if (restart) scheduleRestart(ctx, updated, Number(status.atNs / 1_000_000n) - Date.parse(c.state.startedAt));
    return updated;
  });
  if (exited?.spec.autoRemove) {
    // Docker's --rm takes the container's anonymous volumes with it.
    await removeContainer(ctx, id, { force: false, removeVolumes: true, afterExit: exited.state.finishedAt }).catch((err: unknown) => ctx.logger.warn({ err, id }, 'auto-remove failed'));
  }
  return exited;
}

async function waitForMonitorExit(ctx: RuntimeContext, c: Container, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 1; await ctx.monitor.isAlive(c.monitorPid, c.id); pause = Math.min(pause * 2, 50)) {
    if (Date.now() > deadline) {
      ctx.logger.warn({ id: c.id, monitorPid: c.monitorPid }, 'conmon still running after the exit');
      return;
    }
    await delay(pause);
  }
}

/**
 * Brings the database in line with the machine after a restart of this service (live restore):
 * running containers whose exit was recorded meanwhile (or whose monitor is gone) get their exit
 * handled; interrupted removals finish; stopped containers hold no mounts. Returns what it did.
 */
export async function restore(ctx: RuntimeContext): Promise<{ restored: string[]; exited: string[]; removed: string[] }> {
  const out = { restored: [] as string[], exited: [] as string[], removed: [] as string[] };
  for (const c of ctx.db.list()) {
    try {
      if (c.state.status === Status.Restarting) {
        resumeRestart(ctx, c);
        out.restored.push(c.id);
      } else if (isRunning(c)) {
        if (await handleExit(ctx, c.id)) out.exited.push(c.id);
        else out.restored.push(c.id);
      } else if (c.state.status === Status.Removing) {
        await finishRemoval(ctx, mustGet(ctx, c.id));
        out.removed.push(c.id);
      } else if (await ctx.rootfs.isMounted(ctx.paths.rootfs(c.id))) {
        await ctx.locks.run(c.id, () => releaseResources(ctx, c));
      }
    } catch (err) {
      ctx.logger.error({ err, id: c.id }, 'reconcile failed for a container');
    }
  }
  return out;
}

/** The periodic fallback to the exit-dir watcher: exits of running containers that were not seen. */
export async function pollExits(ctx: RuntimeContext): Promise<void> {
  for (const c of ctx.db.list([Status.Running, Status.Paused, Status.Restarting])) {
    await handleExit(ctx, c.id).catch((err: unknown) => ctx.logger.error({ err, id: c.id }, 'exit check failed'));
  }
}
