/**
 * Concurrent calls with the same key share one execution (Go's singleflight): the first caller
 * runs `fn`, the others get its result or its error. The key is free again once it settles.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): Promise<T> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const p = fn().finally(() => this.running.delete(key));
    this.running.set(key, p);
    return p;
  }
}
