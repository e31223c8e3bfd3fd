/**
 * An async iterable fed by concurrent producers (the layers of a pull): `push` never blocks, the
 * consumer drains in order; `end` or `fail` finishes it after what was queued.
 */
export class ProgressQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;
  private finished = false;
  private error: unknown;

  push(item: T): void {
    if (this.finished) return;
    this.items.push(item);
    this.wake?.();
  }

  end(): void {
    this.finished = true;
    this.wake?.();
  }

  fail(err: unknown): void {
    this.error = err ?? new Error('failed');
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.finished) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** Runs tasks with at most `limit` at a time, in the order they asked. */
export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Whether a task asking now would start at once. */
  get free(): boolean {
    return this.running < this.limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
