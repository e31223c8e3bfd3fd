import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '@berth/kit';
import { tempDir, type TempDir } from '@berth/fixtures';
import { BlobStore } from './blob-store.js';
import { Metric, ProxyMetrics } from './metrics.js';

const blob = (text: string) => {
  const bytes = Buffer.from(text.padEnd(100, '.'));
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
};

describe('BlobStore: the proxy’s blob cache on disk', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir('berth-blob-store-');
  });
  after(async () => {
    await dir?.cleanup();
  });

  const put = async (store: BlobStore, b: { bytes: Buffer; digest: string }) => {
    const ingest = store.ingestPath(b.digest);
    await writeFile(ingest, b.bytes);
    await store.commit(ingest, b.digest, b.bytes.length);
  };
  const file = (root: string, digest: string) => path.join(root, 'blobs/sha256', digest.slice('sha256:'.length));

  it('evicts the least recently used blobs beyond its size limit', async () => {
    const root = path.join(dir.path, 'lru');
    const metrics = new ProxyMetrics();
    const store = new BlobStore(root, 250, metrics, silentLogger());
    await store.init();
    const [a, b, c] = [blob('a'), blob('b'), blob('c')];
    await put(store, a);
    await put(store, b);
    const opened = await store.openBlob(a.digest); // a is now more recent than b
    await opened!.fh.close();
    await put(store, c);
    assert.equal(store.sizeOf(b.digest), undefined);
    assert.ok(!existsSync(file(root, b.digest)));
    assert.ok(existsSync(file(root, a.digest)) && existsSync(file(root, c.digest)));
    assert.deepEqual(store.stats(), { bytes: 200, blobs: 2 });
    assert.equal(metrics.get(Metric.evictions), 1);
    assert.equal(metrics.get(Metric.cacheBytes), 200);
  });

  it('indexes what is on disk at start, oldest first, and drops unfinished ingests', async () => {
    const root = path.join(dir.path, 'restart');
    const [old, mid, recent] = [blob('old'), blob('mid'), blob('recent')];
    await mkdir(path.join(root, 'blobs/sha256'), { recursive: true });
    await mkdir(path.join(root, 'ingest'), { recursive: true });
    await writeFile(path.join(root, 'ingest', 'partial'), 'half a blob');
    for (const [i, b] of [old, mid, recent].entries()) {
      await writeFile(file(root, b.digest), b.bytes);
      await utimes(file(root, b.digest), 1000 + i, 1000 + i);
    }
    const store = new BlobStore(root, 200, new ProxyMetrics(), silentLogger());
    await store.init();
    assert.ok(!existsSync(path.join(root, 'ingest', 'partial')));
    assert.equal(store.sizeOf(old.digest), undefined, 'over the limit at start: the oldest goes');
    assert.equal(store.sizeOf(mid.digest), 100);
    assert.equal(store.sizeOf(recent.digest), 100);
  });

  it('treats a blob removed behind its back as a miss', async () => {
    const root = path.join(dir.path, 'gone');
    const store = new BlobStore(root, 1000, new ProxyMetrics(), silentLogger());
    await store.init();
    const x = blob('x');
    await put(store, x);
    await unlink(file(root, x.digest));
    assert.equal(await store.openBlob(x.digest), undefined);
    assert.equal(store.sizeOf(x.digest), undefined);
  });
});
