import { BerthError } from '@berth/kit';
import { buildExecProcess } from '../oci/exec-process.js';
import { readFileInRoot } from '../oci/rootfs-path.js';
import { StartFailure } from '../oci/create-failure.js';
import { Status, type Container } from './container.js';
import { mustGet, publish, type RuntimeContext } from './context.js';
import { notRunning } from './errors.js';
import type { ExecConfig, ExecRecord } from './exec-store.js';
import { findContainer } from './lookup.js';
import { mergeEnv, processEnv } from './process-config.js';
import type { StdioFrame } from './ports.js';
import { pumpInput, type StdioInput } from './stdio-input.js';
import { resolveUser } from './user.js';

/** Docker refuses an exec into a container that is not running, or paused, or restarting. */
function assertExecutable(c: Container): void {
  if (c.state.status === Status.Paused) throw new BerthError('failed_precondition', `Container ${c.id} is paused, unpause the container before exec`);
  if (c.state.status === Status.Restarting) throw new BerthError('failed_precondition', `Container ${c.id} is restarting, wait until the container is running`);
  if (c.state.status !== Status.Running) throw notRunning(c.id);
}

/** Docker's exec create: checks the container runs, remembers the config, `exec_create`. */
export async function createExec(ctx: RuntimeContext, ref: string, config: ExecConfig): Promise<ExecRecord> {
  const c = findContainer(ctx, ref);
  assertExecutable(c);
  if (config.cmd.length === 0) throw new BerthError('invalid_argument', 'No exec command specified');
  const rec = ctx.execs.create(c.id, config);
  await publish(ctx, c, `exec_create: ${config.cmd.join(' ')}`, { execID: rec.id }); // Docker's action carries the command
  return rec;
}

export interface StartExecOptions {
  detach: boolean;
  consoleSize?: { height: number; width: number };
}

export type ExecOutput = { started: number } | { output: StdioFrame } | { exit: number };

/**
 * Docker's exec start: runs the process (runtime exec under conmon), then, unless detached, relays
 * stdin in and output out until it exits and yields its exit code. The exit is recorded (exec
 * inspect, `exec_die`) whether or not anyone still listens.
 */
export async function* startExec(
  ctx: RuntimeContext, id: string, opts: StartExecOptions, input: AsyncIterable<StdioInput>, signal?: AbortSignal,
): AsyncGenerator<ExecOutput> {
  const rec = ctx.execs.get(id);
  if (rec.running) throw new BerthError('failed_precondition', `Error: Exec command ${id} is already running`);
  if (rec.started) throw new BerthError('failed_precondition', `Error: Exec command ${id} has already run`);
  const c = mustGet(ctx, rec.containerId);
  assertExecutable(c);
  rec.started = true;
  rec.running = true;
  const cfg = rec.config;
  try {
    const user = await resolveUser(cfg.user || c.spec.user, (p) => readFileInRoot(ctx.paths.rootfs(c.id), p));
    const env = mergeEnv(processEnv({ ...c.spec, tty: cfg.tty }, c.spec.hostname, user.home), cfg.env);
    const process = buildExecProcess({
      container: c.spec, args: cfg.cmd, env, user, cwd: cfg.workingDir || c.spec.workingDir, tty: cfg.tty,
      privileged: cfg.privileged, availableCaps: ctx.hostCaps, ...(opts.consoleSize ? { consoleSize: opts.consoleSize } : {}),
    });
    const attach = !opts.detach;
    rec.handle = await ctx.monitor.exec({
      containerId: c.id, execId: rec.id, process, tty: cfg.tty, stdin: attach && cfg.attachStdin, attach,
    });
  } catch (err) {
    rec.running = false;
    rec.exitCode = err instanceof StartFailure ? err.exitCode : 126;
    throw err;
  }
  const handle = rec.handle;
  rec.pid = handle.pid;
  rec.finished = handle.exit.then(async (code) => {
    rec.running = false;
    rec.exitCode = code;
    await publish(ctx, c, 'exec_die', { execID: rec.id, exitCode: String(code) });
    return code;
  });
  await publish(ctx, c, `exec_start: ${cfg.cmd.join(' ')}`, { execID: rec.id });
  yield { started: handle.pid };
  if (opts.detach || !handle.io) return;
  const io = handle.io;
  const onAbort = () => io.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  pumpInput(input, io, handle.resize, ctx.logger);
  try {
    for await (const frame of io.frames()) {
      if (frame.stream === 1 ? cfg.attachStdout || cfg.tty : cfg.attachStderr) yield { output: frame };
    }
    if (signal?.aborted) return;
    yield { exit: await rec.finished };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    io.close();
  }
}

/** Resizes an exec's TTY. */
export async function resizeExec(ctx: RuntimeContext, id: string, height: number, width: number): Promise<void> {
  const rec = ctx.execs.get(id);
  if (!rec.running || !rec.handle) throw new BerthError('failed_precondition', `Exec ${id} is not running`);
  if (!rec.config.tty) return; // Docker ignores resizes of an exec without a TTY
  await rec.handle.resize(height, width);
}
