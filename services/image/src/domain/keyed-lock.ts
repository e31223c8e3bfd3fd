/**
 * In-process mutual exclusion per key (one ingest per blob, one extraction per chain ID).
 * `acquire` resolves with a release function once every earlier holder of the key released.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** Many shared holders or one exclusive holder (pulls share, garbage collection excludes). */
export class SharedLock {
  private shared = 0;
  private exclusive: Promise<void> | undefined;
  private readonly idle: Array<() => void> = [];

  async withShared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    this.shared++;
    try {
      return await fn();
    } finally {
      this.shared--;
      if (this.shared === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  async withExclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let done!: () => void;
    this.exclusive = new Promise<void>((resolve) => (done = resolve));
    try {
      while (this.shared > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
      return await fn();
    } finally {
      this.exclusive = undefined;
      done();
    }
  }
}
