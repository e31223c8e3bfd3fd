import type { Logger } from '@berth/kit';
import type { ImageContext } from './context.js';
import { collectGarbage } from './remove.js';

export interface GcSchedule {
  /** Between two collections; the first runs right after start. */
  intervalMs: number;
  /** Unreferenced layers and blobs younger than this are left for a retried pull. */
  graceMs: number;
  /** Partial ingests untouched for this long are dropped. */
  ingestExpiryMs: number;
}

/**
 * Automatic garbage collection: at start (what a crash or a failed pull left) and then every
 * interval, unreferenced layers and blobs past the grace period, and expired ingests. `rmi` and
 * `image prune` collect at once, without grace.
 */
export class GarbageCollector {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly ctx: ImageContext,
    private readonly schedule: GcSchedule,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.running = this.collect();
    this.timer = setInterval(() => {
      this.running ??= this.collect();
    }, this.schedule.intervalMs);
    this.timer.unref();
  }

  /** One collection now; resolves when done. Failures are logged, never thrown. */
  async collect(): Promise<void> {
    const result = { untagged: [], deleted: [] as string[] };
    try {
      const reclaimed = await collectGarbage(this.ctx, result, { graceMs: this.schedule.graceMs, ingestExpiryMs: this.schedule.ingestExpiryMs });
      if (result.deleted.length > 0) this.logger.info({ layers: result.deleted.length, reclaimed }, 'garbage collected');
    } catch (err) {
      this.logger.warn({ err }, 'garbage collection failed');
    } finally {
      this.running = undefined;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
