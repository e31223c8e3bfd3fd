import type { runtime } from '@berth/proto';

/** A request stream a test can push into while the call runs; `end()` half-closes it. */
export class RequestQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const next = this.items.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** Output of a stdio stream, by stream, with a way to wait for text to appear. */
export class OutputCollector {
  stdout = '';
  stderr = '';
  private waiters: Array<() => void> = [];

  add(o: runtime.StdioOutput): void {
    const text = Buffer.from(o.data).toString('utf8');
    if (o.stream === 2) this.stderr += text;
    else this.stdout += text;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once stdout (or stderr) matches; rejects after timeoutMs. */
  async waitFor(re: RegExp, where: 'stdout' | 'stderr' = 'stdout', timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this[where])) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in ${where}: ${JSON.stringify(this[where])}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }
}
