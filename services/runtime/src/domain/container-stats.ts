import { setTimeout as delay } from 'node:timers/promises';
import { Status, ZERO_TIME } from './container.js';
import { cgroupsPath, type RuntimeContext } from './context.js';
import { findContainer } from './lookup.js';
import type { CgroupSample } from './ports.js';
import { nowRfc3339 } from './time.js';

export interface StatsSample {
  read: string;
  preread: string;
  /** Undefined for a container that is not running (Docker then reports zeros). */
  sample?: CgroupSample;
  previous?: CgroupSample;
}

/**
 * Docker's stats: readings of the container's cgroup, each with the one before it (precpu) so a
 * CPU percentage can be computed. One reading (as Docker's one-shot), or one per interval while
 * the container runs; a container that is not running gives one empty reading.
 */
export async function* containerStats(
  ctx: RuntimeContext, ref: string, opts: { stream: boolean; intervalMs: number }, signal?: AbortSignal,
): AsyncGenerator<StatsSample> {
  const id = findContainer(ctx, ref).id;
  let previous: { read: string; sample: CgroupSample } | undefined;
  for (;;) {
    const c = ctx.db.get(id);
    if (!c || (c.state.status !== Status.Running && c.state.status !== Status.Paused)) {
      yield { read: nowRfc3339(), preread: previous?.read ?? ZERO_TIME };
      return;
    }
    const sample = await ctx.cgroups.sample(cgroupsPath(ctx, id), c.state.pid);
    const read = nowRfc3339();
    yield { read, preread: previous?.read ?? ZERO_TIME, sample, ...(previous ? { previous: previous.sample } : {}) };
    if (!opts.stream || signal?.aborted) return;
    previous = { read, sample };
    try {
      await delay(opts.intervalMs > 0 ? opts.intervalMs : 1000, undefined, signal ? { signal } : {});
    } catch {
      return; // the client went away
    }
  }
}
