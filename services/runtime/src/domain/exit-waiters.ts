import { BerthError } from '@berth/kit';

type Kind = 'exit' | 'removed';
interface Waiter { kind: Kind; resolve: (code: number) => void }

/** In-memory wake-ups for Wait, Stop and Remove: a container exited, or was removed. */
export class ExitWaiters {
  private readonly waiters = new Map<string, Set<Waiter>>();

  /**
   * Registers before the caller checks the state (so an exit in between is not missed). The
   * promise resolves with the exit code; `cancel` drops it; an abort rejects with `cancelled`.
   */
  register(id: string, kind: Kind, signal?: AbortSignal): { promise: Promise<number>; cancel(): void } {
    let waiter!: Waiter;
    let onAbort = () => {};
    const set = this.waiters.get(id) ?? new Set<Waiter>();
    this.waiters.set(id, set);
    const cancel = () => {
      set.delete(waiter);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
      signal?.removeEventListener('abort', onAbort);
    };
    const promise = new Promise<number>((resolve, reject) => {
      waiter = { kind, resolve: (code) => (cancel(), resolve(code)) };
      onAbort = () => (cancel(), reject(new BerthError('cancelled', 'wait cancelled')));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(waiter);
    });
    return { promise, cancel };
  }

  notify(id: string, kind: Kind, exitCode: number): void {
    for (const w of [...(this.waiters.get(id) ?? [])]) if (w.kind === kind) w.resolve(exitCode);
  }
}

/** Resolves with the promise's value, or undefined after ms. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
