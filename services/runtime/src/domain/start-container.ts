import { isRunning, Status, type Container } from './container.js';
import { cgroupsPath, mustGet, publish, setState, type RuntimeContext } from './context.js';
import { writeBfqWeight } from '../oci/resources.js';
import { removeCgroupDirs } from '../oci/crun-state.js';
import { prepareBundle, releaseResources } from './bundle.js';
import { StartFailure } from '../oci/create-failure.js';
import { BerthError } from '@berth/kit';
import { nowRfc3339 } from './time.js';
import { rotateBeforeStart } from './log-rotation.js';
import { publishVolumeMounts } from './volume-mounts.js';
import { stopwatch } from './stopwatch.js';
import { stopContainer } from './stop-container.js';

/**
 * Starts a created or exited container: bundle, then conmon (which runs `runtime create`), then
 * `runtime start`. Starting a running container is a no-op (Docker answers 304): `alreadyRunning`.
 */
export async function startContainer(ctx: RuntimeContext, id: string): Promise<{ alreadyRunning: boolean }> {
  return ctx.locks.run(id, async () => {
    const c = mustGet(ctx, id);
    if (isRunning(c)) return { alreadyRunning: true };
    if (c.state.status === Status.Removing || c.state.status === Status.Dead) {
      throw new BerthError('failed_precondition', `container ${id} is marked for removal and cannot be started`);
    }
    // A user's start: restart policies apply again, counting from zero.
    ctx.restarts.forget(id);
    if (c.manuallyStopped || c.restartCount) ctx.db.updateState(id, { manuallyStopped: false, restartCount: 0 });
    const started = await startLocked(ctx, mustGet(ctx, id));
    await publishVolumeMounts(ctx, started, 'mount');
    await publish(ctx, started, 'start');
    return { alreadyRunning: false };
  });
}

/** The start itself, under the container's lock; on failure nothing is left mounted or created. */
export async function startLocked(ctx: RuntimeContext, c: Container): Promise<Container> {
  const t = stopwatch();
  let netnsPath = '';
  const warm = ctx.cgroupAttach.hold(); // from now: the runtime's move of the container into its cgroups will not wait
  try {
    // What a previous run left (exit file, run dir, a runtime container after a crash: it would
    // block create) goes, and this run's dir is made, while the bundle is made: they touch
    // different files.
    const prepared = await Promise.allSettled([
      prepareBundle(ctx, c),
      (async () => {
        await ctx.monitor.reset(c.id);
        const done = await Promise.allSettled([ctx.monitor.prepare(c.id), ctx.runtime.delete(c.id)]);
        for (const r of done) if (r.status === 'rejected') throw r.reason;
      })(),
      rotateBeforeStart(ctx, c.logPath),
    ]); // all settle before a failure counts: the cleanup below must not race them
    for (const r of prepared) if (r.status === 'rejected') throw r.reason;
    netnsPath = (prepared[0] as PromiseFulfilledResult<{ netnsPath: string }>).value.netnsPath;
    t.lap('bundle');
    const handle = await ctx.monitor.launch({
      id: c.id, name: c.name, bundle: ctx.paths.bundle(c.id), pidFile: ctx.paths.pidFile(c.id), logPath: c.logPath,
      runtimeLog: ctx.paths.runtimeLog(c.id), tty: c.spec.tty, openStdin: c.spec.openStdin, stdinOnce: c.spec.stdinOnce,
    });
    warm();
    if (ctx.blkioBfqOnly && c.spec.resources.blkioWeight) await writeBfqWeight(cgroupsPath(ctx, c.id), c.spec.resources.blkioWeight);
    t.lap('create');
    await ctx.attaches.connect(c.id); // attachers waiting for this start see everything
    await ctx.runtime.start(c.id);
    t.lap('start');
    ctx.logger.debug({ id: c.id, ms: t.laps }, 'container started');
    const started = setState(ctx, c, Status.Running, {
      pid: handle.pid, monitorPid: handle.monitorPid, startedAt: nowRfc3339(), exitCode: 0, error: '', oomKilled: false, netnsPath,
    });
    ctx.health.started(started);
    return started;
  } catch (err) {
    warm();
    await releaseResources(ctx, c).catch((e: unknown) => ctx.logger.warn({ err: e, id: c.id }, 'cleanup after a failed start'));
    // A runtime whose create failed half way may leave the container's cgroup behind (crun 1.8 does).
    const left = await removeCgroupDirs(cgroupsPath(ctx, c.id));
    if (left.length) ctx.logger.warn({ id: c.id, left }, 'cgroups of a failed start still hold processes');
    await ctx.monitor.reset(c.id).catch(() => undefined); // best effort: a fresh start resets again
    const exitCode = err instanceof StartFailure ? err.exitCode : 128;
    ctx.db.updateState(c.id, { error: (err as Error).message, exitCode, pid: 0, monitorPid: 0 });
    throw err;
  }
}

/** Docker's restart: stop (with the given timeout) when running, then start; events kill/die/stop, start, restart. */
export async function restartContainer(ctx: RuntimeContext, id: string, timeoutSeconds?: number): Promise<void> {
  await stopContainer(ctx, id, timeoutSeconds === undefined ? {} : { timeoutSeconds });
  await startContainer(ctx, id);
  await publish(ctx, mustGet(ctx, id), 'restart');
}
