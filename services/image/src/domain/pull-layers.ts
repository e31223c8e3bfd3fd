import type { ImageContext } from './context.js';
import { Semaphore } from './progress-queue.js';
import { pullLayer, shortDigest, type Emit, type UnpackedLayer } from './pull-layer.js';
import type { RegistryAuth } from './registry.js';
import type { Descriptor } from './types.js';

export interface LayersPlan {
  repository: string;
  layers: Descriptor[];
  diffIds: string[];
  chains: string[];
  auth: RegistryAuth | undefined;
}

/** A layer of this pull: unpacked by it (not yet committed), or found committed (its size). */
type LayerOutcome = UnpackedLayer | number;

/**
 * Starts every missing layer at once (the semaphore bounds the transfers). Snapshots are committed
 * bottom-up only after every layer is verified; the first failure cancels the rest and throws
 * every unpacked snapshot away, so a failed pull commits nothing.
 *
 * A layer (chain ID) that another pull is fetching right now is not fetched twice: this pull waits
 * for that one to end ("Waiting") and takes the committed layer, or pulls it itself if the other
 * pull failed. Claims are made for all layers at once and a pull waits only on claims older than
 * its own, so two pulls never wait on each other.
 */
/** Per layer: its unpacked size, and its tar size when this pull unpacked it. */
export interface LayerSizes {
  size: number;
  tarSize?: number;
}

export async function pullLayers(ctx: ImageContext, plan: LayersPlan, emit: Emit, signal: AbortSignal): Promise<LayerSizes[]> {
  const existing = plan.chains.map((c) => ctx.snapshots.layerSize(c));
  const inflight = ctx.locks.layers;
  let ended!: () => void;
  const mine = new Promise<void>((resolve) => (ended = resolve));
  const claimed: string[] = [];
  const others = plan.chains.map((c, i) => {
    if (existing[i] !== undefined) return undefined;
    const other = inflight.get(c);
    if (!other) {
      inflight.set(c, mine);
      claimed.push(c);
    }
    return other;
  });
  for (const [i, layer] of plan.layers.entries()) {
    const status = existing[i] !== undefined ? 'Already exists' : others[i] ? 'Waiting' : 'Pulling fs layer';
    emit({ id: shortDigest(layer.digest), status, current: 0, total: 0 });
  }
  const abort = new AbortController();
  const onAbort = () => abort.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const slots = new Semaphore(Math.max(1, ctx.limits.concurrency));
  const tasks: Array<Promise<LayerOutcome>> = [];
  const dirs: Array<Promise<readonly string[]>> = [];
  let firstError: unknown;
  try {
    for (const [i, layer] of plan.layers.entries()) {
      const below = dirs[i - 1] ?? Promise.resolve([]);
      const chain = plan.chains[i]!;
      const fetch = () => pullLayer(ctx, { repository: plan.repository, descriptor: layer, diffId: plan.diffIds[i]!, lowers: () => below, auth: plan.auth, signal: abort.signal }, emit, slots);
      const task: Promise<LayerOutcome> = existing[i] !== undefined
        ? Promise.resolve(existing[i]!)
        : others[i]
          ? untilSettled(others[i]!, abort.signal).then((): LayerOutcome | Promise<LayerOutcome> => {
              const size = ctx.snapshots.layerSize(chain);
              if (size === undefined) return fetch();
              emit({ id: shortDigest(layer.digest), status: 'Already exists', current: 0, total: 0 });
              return size;
            })
          : fetch();
      task.catch((err: unknown) => {
        firstError ??= err;
        abort.abort(err);
      });
      tasks.push(task);
      dirs.push(task.then(async (u) => (typeof u === 'number' ? ctx.snapshots.layerDirs(chain) : [u.active.dir, ...(await below)])));
      dirs[i]!.catch(() => undefined); // awaited by the layer above, if any; failures surface through tasks
    }
    const settled = await Promise.allSettled(tasks);
    const outcomes = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
    if (firstError !== undefined) {
      for (const u of outcomes) if (u !== undefined && typeof u !== 'number') await ctx.snapshots.abortLayer(u.active);
      throw firstError;
    }
    for (const [i, u] of outcomes.entries()) {
      if (u !== undefined && typeof u !== 'number') await ctx.snapshots.commitLayer(u.active, plan.chains[i]!, plan.chains[i - 1], u.size);
    }
    return outcomes.map((u) => (typeof u === 'number' ? { size: u } : { size: u?.size ?? 0, ...(u && { tarSize: u.tarSize }) }));
  } finally {
    signal.removeEventListener('abort', onAbort);
    for (const c of claimed) if (inflight.get(c) === mine) inflight.delete(c);
    ended();
  }
}

/** Resolves when `p` settles either way, or rejects when `signal` aborts first. */
function untilSettled(p: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.finally(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }).catch(() => undefined); // `mine` never rejects; finally's rethrow has nothing to carry
  });
}
