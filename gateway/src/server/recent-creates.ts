/** How long after its create a container counts as known to exist. */
const TTL_MS = 5_000;

/**
 * Containers this gateway created a moment ago, for `docker run`'s wait. The docker CLI sends
 * POST /containers/{id}/wait right after the create and waits for its response headers before it
 * starts the container; Docker answers 404 there for a container that does not exist, so the wait
 * route asks the runtime first — a gRPC round trip (~1.5 ms) on the way of every `docker run`.
 * For the full id the create returned, the answer is known: the container exists unless it was
 * removed since, and every removal through this gateway clears this set. One wait per create
 * uses it; later ones, and ids given otherwise (names, prefixes), ask as before.
 */
export class RecentCreates {
  private readonly ids = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  add(id: string): void {
    const now = this.now();
    for (const [old, at] of this.ids) {
      if (now - at <= TTL_MS) break; // insertion order: the rest are newer
      this.ids.delete(old);
    }
    this.ids.set(id, now);
  }

  /** Whether `id` is a full id created here within the TTL and not removed since; forgets it. */
  take(id: string): boolean {
    const at = this.ids.get(id);
    if (at === undefined) return false;
    this.ids.delete(id);
    return this.now() - at <= TTL_MS;
  }

  /** A container was (or may have been) removed: nothing here is known to exist any more. */
  clear(): void {
    this.ids.clear();
  }
}
