import { BerthError } from '@berth/kit';
import { readLogs } from '../logs/log-reader.js';
import { logFiles } from '../logs/log-files.js';
import { isRunning, Status } from './container.js';
import { mustGet, publish, type RuntimeContext } from './context.js';
import { notRunning } from './errors.js';
import { findContainer } from './lookup.js';
import type { StdioFrame, StdioSession } from './ports.js';
import { pumpInput, type StdioInput } from './stdio-input.js';

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** First what the log holds. */
  logs: boolean;
  /** Then live output until the container stops. */
  stream: boolean;
}

export type AttachOutput = { output: StdioFrame } | { attached: true };

/**
 * Docker's attach through conmon's attach socket: optionally the log so far, then live output of
 * the running container (or, for a created one, of its next start: no output is missed) until it
 * stops. Several attachers may be connected at once; each gets all output. Stdin goes in when
 * asked for and the container has one.
 */
export async function* attachContainer(
  ctx: RuntimeContext, ref: string, opts: AttachOptions, input: AsyncIterable<StdioInput>, signal?: AbortSignal,
): AsyncGenerator<AttachOutput> {
  const c = findContainer(ctx, ref);
  const wanted = (f: StdioFrame) => (f.stream === 1 ? opts.stdout : opts.stderr);
  if (opts.logs) {
    const records = readLogs(await logFiles(c.logPath, ctx.logMaxFiles), { follow: false, stdout: opts.stdout, stderr: opts.stderr }, { isDone: async () => true });
    for await (const r of records) yield { output: { stream: r.stream, data: r.data } };
  }
  if (!opts.stream) return;
  const session = await connect(ctx, c.id, signal);
  if (!session) return;
  const onAbort = () => session.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await publish(ctx, mustGet(ctx, c.id), 'attach');
    yield { attached: true };
    const current = mustGet(ctx, c.id);
    pumpInput(input, session, (h, w) => ctx.monitor.resize(c.id, h, w), ctx.logger, opts.stdin && current.spec.openStdin);
    for await (const frame of session.frames()) if (wanted(frame)) yield { output: frame };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    session.close();
  }
}

/** A session to the running container now, or at its next start; undefined when it goes away first. */
async function connect(ctx: RuntimeContext, id: string, signal?: AbortSignal): Promise<StdioSession | undefined> {
  const decided = await ctx.locks.run(id, async () => {
    const c = mustGet(ctx, id);
    if (c.state.status === Status.Running || c.state.status === Status.Paused) return { now: ctx.monitor.attach(id), later: undefined };
    return { now: undefined, later: ctx.attaches.wait(id, () => ctx.monitor.attach(id, true)) };
  });
  if (decided.now) {
    try {
      await decided.now.connected;
      return decided.now;
    } catch (err) {
      const c = ctx.db.get(id);
      if (!c || !isRunning(c)) return undefined; // it stopped meanwhile: nothing to attach to
      throw err;
    }
  }
  const later = decided.later!;
  const onAbort = () => later.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const session = await later.session;
    if (session && signal?.aborted) {
      session.close();
      return undefined;
    }
    return session;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Docker's resize of the container's TTY (`resize` event); a container without a TTY ignores it. */
export async function resizeContainer(ctx: RuntimeContext, ref: string, height: number, width: number): Promise<void> {
  const c = findContainer(ctx, ref);
  if (!isRunning(c)) throw notRunning(c.id);
  if (!c.spec.tty) return;
  if (height <= 0 || width <= 0) throw new BerthError('invalid_argument', 'height and width must be positive');
  await ctx.monitor.resize(c.id, height, width);
  await publish(ctx, c, 'resize', { height: String(height), width: String(width) });
}
