import type { StdioSession } from './ports.js';

interface Pending {
  /** Opened at registration, waiting for the socket: the relay's start-up is not on the start's path. */
  session: StdioSession;
  resolve: (session: StdioSession | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * Attachers waiting for a container's next start. Each gets its connection opened at once (it waits
 * for conmon's socket); a start, after conmon has created the container and before the runtime
 * starts it, tells them the socket is there and waits until they are connected — so they see all
 * of the container's output (what `docker run` relies on: attach, then start). A removal, or the
 * waiter giving up, ends the wait with nothing.
 */
export class PendingAttaches {
  private readonly pending = new Map<string, Set<Pending>>();

  /** Call under the container's lock, so that a start cannot slip between a check and this. */
  wait(id: string, open: () => StdioSession): { session: Promise<StdioSession | undefined>; cancel(): void } {
    let entry!: Pending;
    const set = this.pending.get(id) ?? new Set<Pending>();
    this.pending.set(id, set);
    const drop = () => {
      set.delete(entry);
      if (set.size === 0 && this.pending.get(id) === set) this.pending.delete(id);
    };
    const session = new Promise<StdioSession | undefined>((resolve, reject) => {
      entry = {
        session: open(),
        resolve: (s) => (drop(), resolve(s)),
        reject: (e) => (drop(), reject(e)),
      };
      set.add(entry);
    });
    const cancel = () => {
      if (!set.has(entry)) return; // already connected: the session is the caller's now
      entry.session.close();
      entry.resolve(undefined);
    };
    return { session, cancel };
  }

  /** Connects every waiter of `id` (used by start, under the lock); a failed connection fails only its waiter. */
  async connect(id: string): Promise<void> {
    const waiters = [...(this.pending.get(id) ?? [])];
    await Promise.all(waiters.map(async (w) => {
      w.session.kick?.();
      try {
        await w.session.connected;
        w.resolve(w.session);
      } catch (err) {
        w.session.close();
        w.reject(err);
      }
    }));
  }

  /** The container is gone: its waiters get nothing. */
  cancelAll(id: string): void {
    for (const w of [...(this.pending.get(id) ?? [])]) {
      w.session.close();
      w.resolve(undefined);
    }
  }
}
