import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildCache, cacheKey } from './build-cache.js';

test('the cache index is written once per build, only when it changed, and read back by a new process', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-build-cache-'));
  try {
    const file = path.join(dir, 'cache.json');
    const cache = new BuildCache(dir);
    const k1 = cacheKey({ parent: 'sha256:a', instruction: 'RUN x' });
    const k2 = cacheKey({ parent: 'sha256:a', instruction: 'RUN y' });
    await cache.store(k1, 'sha256:one');
    await cache.store(k2, 'sha256:two');
    assert.equal(existsSync(file), false, 'nothing written before the flush');
    await cache.flush();
    assert.equal(existsSync(file), true);

    const exists = async (id: string) => id === 'sha256:one';
    const again = new BuildCache(dir);
    assert.equal(await again.lookup(k1, exists), 'sha256:one');
    rmSync(file);
    await again.flush();
    assert.equal(existsSync(file), false, 'a build of hits only writes nothing');

    assert.equal(await again.lookup(k2, exists), undefined, 'an entry whose image is gone is dropped');
    await again.flush();
    const third = new BuildCache(dir);
    assert.equal(await third.lookup(k1, exists), 'sha256:one');
    assert.equal(await third.lookup(k2, async () => true), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
