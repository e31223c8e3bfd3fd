import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallContext } from '@berth/kit';
import { runtime } from '@berth/proto';
import type { RuntimeContext } from '../domain/context.js';
import { cachedListContainers } from './list-cache.js';

test('ListContainers answers from memory until the container store is written', async () => {
  let rows = ['a'];
  const store = {
    list: () => rows,
    get: (id: string) => rows.find((r) => r === id),
    insert: (id: string) => void (rows = [id, ...rows]),
    delete: (id: string) => void (rows = rows.filter((r) => r !== id)),
  };
  const ctx = { db: store } as unknown as RuntimeContext;
  let calls = 0;
  const list = cachedListContainers(ctx, async (req) => {
    calls++;
    return { containers: (ctx.db.list() as unknown as string[]).map((id) => ({ ...runtime.Container.decode(new Uint8Array()), id, name: `${id}-${req.all}` })) };
  });
  const call = {} as CallContext;
  const ids = async (all: boolean) => {
    const res = (await list({ all, limit: 0, filters: [] }, call)) as unknown as { bytes: Buffer };
    return runtime.ListContainersResponse.decode(res.bytes).containers.map((c) => c.name);
  };
  assert.deepEqual(await ids(false), ['a-false']);
  assert.deepEqual(await ids(false), ['a-false']);
  assert.equal(calls, 1, 'the second list came from memory');
  assert.deepEqual(await ids(true), ['a-true']);
  assert.equal(calls, 2, 'another request is another entry');
  ctx.db.get('a');
  assert.deepEqual(await ids(false), ['a-false']);
  assert.equal(calls, 2, 'reads keep the cache');
  (ctx.db as unknown as typeof store).insert('b');
  assert.deepEqual(await ids(false), ['b-false', 'a-false']);
  assert.equal(calls, 3, 'a write drops it');
  (ctx.db as unknown as typeof store).delete('a');
  assert.deepEqual(await ids(true), ['b-true']);
});
