import type { runtime } from '@berth/proto';
import { containerSummary } from './container-summary.js';
import { statusText } from './container-status.js';
import { emptyState } from './container-defaults.js';

const summaries = new WeakMap<runtime.Container, Record<string, unknown>>();

/**
 * containerSummary, computed once per container object: the runtime client reuses the decoded
 * list while its bytes do not change (kit's `reuseIdentical`), so `docker ps` in a loop rebuilds
 * only `Status` ("Up 3 minutes"), which depends on the time, and serializes. Exact: every other
 * field is a function of the container alone.
 */
export function listSummary(c: runtime.Container, now: Date): Record<string, unknown> {
  const known = summaries.get(c);
  if (!known) {
    const fresh = containerSummary(c, now);
    summaries.set(c, fresh);
    return fresh;
  }
  return { ...known, Status: statusText(c.state ?? emptyState(), now) };
}
