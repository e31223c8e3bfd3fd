import type { StdioSession } from './ports.js';

interface Pending {
  resolve: (session: StdioSession | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * Attachers waiting for a container's next start. A start connects them after conmon has created
 * the container and before the runtime starts it, so they see all of its output (what `docker
 * run` relies on: attach, then start). A removal ends their wait with nothing.
 */
export class PendingAttaches {
  private readonly pending = new Map<string, Set<Pending>>();

  /** Call under the container's lock, so that a start cannot slip between a check and this. */
  wait(id: string): { session: Promise<StdioSession | undefined>; cancel(): void } {
    let entry!: Pending;
    const set = this.pending.get(id) ?? new Set<Pending>();
    this.pending.set(id, set);
    const drop = () => {
      set.delete(entry);
      if (set.size === 0 && this.pending.get(id) === set) this.pending.delete(id);
    };
    const session = new Promise<StdioSession | undefined>((resolve, reject) => {
      entry = { resolve: (s) => (drop(), resolve(s)), reject: (e) => (drop(), reject(e)) };
      set.add(entry);
    });
    return { session, cancel: () => entry.resolve(undefined) };
  }

  /** Connects every waiter of `id` (used by start, under the lock); a failed connection fails only its waiter. */
  async connect(id: string, open: () => StdioSession): Promise<void> {
    const waiters = [...(this.pending.get(id) ?? [])];
    await Promise.all(waiters.map(async (w) => {
      const session = open();
      try {
        await session.connected;
        w.resolve(session);
      } catch (err) {
        session.close();
        w.reject(err);
      }
    }));
  }

  /** The container is gone: its waiters get nothing. */
  cancelAll(id: string): void {
    for (const w of [...(this.pending.get(id) ?? [])]) w.resolve(undefined);
  }
}
