import { watch, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Logger } from '@berth/kit';

const CONTAINER_ID = /^[0-9a-f]{64}$/;

/**
 * Watches conmon's exit dir: a file named after the container appears when it exits (written
 * atomically by conmon). inotify is the fast path; a periodic sweep catches anything missed
 * (watch overflow, events lost while handlers ran). Handlers must be idempotent.
 */
export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly dir: string,
    private readonly onExit: (id: string) => Promise<unknown>,
    private readonly sweep: () => Promise<void>,
    private readonly logger: Logger,
    private readonly sweepMs = 2000,
  ) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.watcher = watch(this.dir, (_event, file) => {
      const id = file?.toString();
      if (id && CONTAINER_ID.test(id)) {
        this.onExit(id).catch((err: unknown) => this.logger.error({ err, id }, 'exit handling failed'));
      }
    });
    this.watcher.on('error', (err) => this.logger.error({ err }, 'exit dir watch failed; the periodic sweep continues'));
    this.timer = setInterval(() => void this.runSweep(), this.sweepMs);
    this.timer.unref();
  }

  private async runSweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.sweep();
    } catch (err) {
      this.logger.error({ err }, 'exit sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  close(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }
}
