import { rotateLog } from '../logs/log-files.js';
import { sizeOf } from '../oci/small-files.js';
import { Status } from './container.js';
import type { RuntimeContext } from './context.js';

/**
 * Keeps each running container's log under `logMaxBytes`, with `logMaxFiles` files in all (on by
 * default, 10 MiB × 3, Docker's json-file max-size/max-file). conmon's own --log-size-max starts
 * the file over (data lost) and counts bytes since its start, so it is not used: this checks the
 * sizes every second, renames a full log to `.1` and has conmon reopen its log (ctl "2 0 0").
 * conmon keeps writing to the renamed file until it reopens: nothing is lost. A log may exceed
 * the limit by what its container writes in a second, and grows unchecked while this service is
 * down.
 */
export class LogRotator {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly ctx: RuntimeContext, private readonly intervalMs = 1000) {}

  start(): void {
    if (this.ctx.logMaxBytes <= 0) return;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the running containers (exposed for tests). */
  async check(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // A stat per running container every second: synchronous (small-files.ts), not a
      // thread-pool round trip each, as this pass grows with the number of containers.
      for (const c of this.ctx.db.list([Status.Running, Status.Paused])) {
        if (sizeOf(c.logPath) >= this.ctx.logMaxBytes) await this.rotate(c.id, c.logPath);
      }
    } finally {
      this.running = false;
    }
  }

  private async rotate(id: string, logPath: string): Promise<void> {
    await this.ctx.locks.run(id, async () => {
      const c = this.ctx.db.get(id);
      if (!c || (c.state.status !== Status.Running && c.state.status !== Status.Paused)) return;
      await rotateLog(logPath, this.ctx.logMaxFiles);
      await this.ctx.monitor.reopenLog(id);
    }).catch((err: unknown) => this.ctx.logger.warn({ err, id }, 'log rotation failed'));
  }
}

/** At a start: a log already over the limit (from earlier runs) is rotated before conmon opens it. */
export async function rotateBeforeStart(ctx: RuntimeContext, logPath: string): Promise<void> {
  if (ctx.logMaxBytes <= 0) return;
  if (sizeOf(logPath) >= ctx.logMaxBytes) await rotateLog(logPath, ctx.logMaxFiles);
}
