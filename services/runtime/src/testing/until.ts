import { setTimeout as delay } from 'node:timers/promises';

/** Polls with a short backoff until probe() holds; fails after timeoutMs (no fixed sleeps in tests). */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; !(await probe()); pause = Math.min(pause * 2, 100)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(pause);
  }
}
