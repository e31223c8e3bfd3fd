import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListCache } from './list-cache.js';

test('the list cache serves repeats only while live, and forgets on every change', async () => {
  const cache = new ListCache();
  let loads = 0;
  const load = async () => ++loads;
  assert.equal(await cache.get('k', load), 1);
  assert.equal(await cache.get('k', load), 2, 'not live: no caching');
  cache.setLive(true);
  assert.equal(await cache.get('k', load), 3);
  assert.equal(await cache.get('k', load), 3, 'live: the repeat comes from memory');
  assert.equal(await cache.get('other', load), 4);
  cache.invalidate();
  assert.equal(await cache.get('k', load), 5, 'an event or a write drops it');
  // A load that races with a change is served to its caller but not kept.
  let release!: () => void;
  const slow = cache.get('k2', () => new Promise<number>((r) => (release = () => r(100))));
  cache.invalidate();
  release();
  assert.equal(await slow, 100);
  assert.equal(await cache.get('k2', load), 6);
  await assert.rejects(cache.get('bad', async () => Promise.reject(new Error('down'))));
  assert.equal(await cache.get('bad', load), 7, 'failures are not kept');
  cache.setLive(false);
  assert.equal(await cache.get('k', load), 8);
});
