import { BerthError } from '@berth/kit';
import { mustGet, publish, type RuntimeContext } from './context.js';
import { normalizeName } from './names.js';

/** Docker's rename: a valid, free name; `rename` event with the old name. */
export async function renameContainer(ctx: RuntimeContext, id: string, newName: string): Promise<void> {
  if (!newName) throw new BerthError('invalid_argument', 'Neither old nor new names may be empty');
  const name = normalizeName(newName);
  await ctx.locks.run(id, async () => {
    const c = mustGet(ctx, id);
    if (c.name === name) throw new BerthError('invalid_argument', 'Renaming a container with the same name as its current name');
    ctx.db.rename(id, name);
    await publish(ctx, mustGet(ctx, id), 'rename', { oldName: `/${c.name}` });
  });
}
