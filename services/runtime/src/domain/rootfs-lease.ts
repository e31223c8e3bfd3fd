import { BerthError } from '@berth/kit';
import { Status } from './container.js';
import { mustGet, type RuntimeContext } from './context.js';

/** A container's rootfs held still for a filesystem operation; release() is idempotent. */
export interface RootfsLease {
  root: string;
  release(): Promise<void>;
}

/**
 * Holds a container's rootfs for diff, cp and export, under the container's lock (no start,
 * stop, exit handling or removal meanwhile):
 * - running: its mounted rootfs, with its processes frozen (`runtime pause`, as podman's cp does)
 *   so that none can swap a directory for a symlink between our checks and our use (moby's
 *   CVE-2018-15664); a paused one is already frozen;
 * - otherwise: its snapshot mounted at the bundle's rootfs mount point for the time of the
 *   operation, as Docker mounts a stopped container for cp (live restore unmounts a leftover).
 * An abort of `signal` releases at once (a stream whose client went away must not keep the
 * container frozen).
 */
export async function leaseRootfs(ctx: RuntimeContext, id: string, opts: LeaseOptions = {}): Promise<RootfsLease> {
  const { signal } = opts;
  const unlock = await lock(ctx, id);
  const undo: Array<() => Promise<void>> = [async () => unlock()];
  let released: Promise<void> | undefined;
  const release = () => (released ??= (async () => {
    signal?.removeEventListener('abort', onAbort);
    for (const step of undo.reverse()) {
      await step().catch((err: unknown) => ctx.logger.warn({ err, id }, 'releasing a container rootfs'));
    }
  })());
  const onAbort = () => void release();
  try {
    const c = mustGet(ctx, id);
    if (c.state.status === Status.Removing || c.state.status === Status.Dead) {
      throw new BerthError('failed_precondition', `Container ${id} is marked for removal and cannot be used`);
    }
    const root = ctx.paths.rootfs(id);
    const mounted = await ctx.rootfs.isMounted(root);
    if (c.state.status === Status.Running && mounted) {
      await ctx.runtime.pause(id);
      undo.push(() => ctx.runtime.resume(id));
    } else if (!mounted && opts.mount !== false) {
      const mounts = c.rootfsMounts.length ? c.rootfsMounts : await ctx.images.getSnapshotMounts(id);
      await ctx.rootfs.mount(mounts, root);
      undo.push(() => ctx.rootfs.unmount(root));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    return { root, release };
  } catch (err) {
    await release();
    throw err;
  }
}

export interface LeaseOptions {
  signal?: AbortSignal;
  /** false: a stopped container's rootfs is not mounted (the caller reads its layers directly). */
  mount?: boolean;
}

/** Takes the container's lock until the returned function is called. */
function lock(ctx: RuntimeContext, id: string): Promise<() => void> {
  return new Promise((acquired) => {
    void ctx.locks.run(id, () => new Promise<void>((unlock) => acquired(unlock)));
  });
}
