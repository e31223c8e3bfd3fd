import { BerthError } from '@berth/kit';
import { ociResources, writeBfqWeight } from '../oci/resources.js';
import { Status, type Resources } from './container.js';
import { cgroupsPath, mustGet, publish, type RuntimeContext } from './context.js';
import { validateResources } from './resource-checks.js';
import { validateRestartPolicy } from './restart-policy.js';

export interface UpdateRequest {
  /** Only the fields set (non-zero) change. */
  resources: Resources;
  restartPolicy?: { name: string; maximumRetryCount: number };
}

/**
 * Docker's update: new resource limits, applied at once to a running (or paused) container with
 * `runtime update`, and kept for its next starts; a new restart policy. Event `update`.
 */
export async function updateContainer(ctx: RuntimeContext, id: string, req: UpdateRequest): Promise<string[]> {
  return ctx.locks.run(id, async () => {
    const c = mustGet(ctx, id);
    if (c.state.status === Status.Removing || c.state.status === Status.Dead) {
      throw new BerthError('failed_precondition', `Cannot update container ${id}: it is marked for removal`);
    }
    const changed = Object.fromEntries(Object.entries(req.resources).filter(([, v]) => v !== undefined && v !== 0 && v !== '')) as Resources;
    const resources: Resources = { ...c.spec.resources, ...changed };
    if (changed.memory && !changed.memorySwap && c.spec.resources.memorySwap && c.spec.resources.memorySwap > 0 && changed.memory > c.spec.resources.memorySwap) {
      throw new BerthError('invalid_argument', 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    validateResources(resources);
    const restartPolicy = req.restartPolicy ?? c.spec.restartPolicy;
    validateRestartPolicy(restartPolicy, c.spec.autoRemove);
    if (c.state.status === Status.Running || c.state.status === Status.Paused) {
      try {
        await ctx.runtime.update(id, ociResources(resources, { bfqWeight: ctx.blkioBfqOnly }));
        if (ctx.blkioBfqOnly && changed.blkioWeight) await writeBfqWeight(cgroupsPath(ctx, id), changed.blkioWeight);
      } catch (err) {
        throw new BerthError('failed_precondition', `Cannot update container ${id}: ${(err as Error).message}`, { cause: err });
      }
    }
    ctx.db.updateSpec(id, { ...c.spec, resources, restartPolicy });
    await publish(ctx, mustGet(ctx, id), 'update');
    return [];
  });
}
