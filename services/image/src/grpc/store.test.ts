import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { busyboxImage, pushImage, type Image } from '@berth/fixtures';
import { pull, startStack, type Stack } from '../testing/stack.js';

const MiB = 1024 * 1024;

describe('the image store: history, disk usage, shared layers, prune', () => {
  let stack: Stack;
  let a: Image;
  let b: Image;

  before(async () => {
    stack = await startStack();
    a = await busyboxImage({ extraLayers: [(l) => l.randomFile('a', MiB, 'df-a')], config: { Labels: { app: 'a' } } });
    b = await busyboxImage({ extraLayers: [(l) => l.randomFile('b', 2 * MiB, 'df-b')] });
    await pushImage(stack.registry, 'a', 'latest', a);
    await pushImage(stack.registry, 'b', 'latest', b);
    await pull(stack.client, `${stack.registry.host}/a`);
    await pull(stack.client, `${stack.registry.host}/b`);
  });
  after(async () => {
    await Promise.all([a?.dispose(), b?.dispose()]);
    await stack?.stop();
  });

  it('gives the history newest first, with layer sizes, the id and tags on top', async () => {
    const { entries } = await stack.client.imageHistory({ reference: `${stack.registry.host}/a` });
    assert.deepEqual(entries.map((e) => e.createdBy), [...a.configJson.history].reverse().map((h) => h.created_by));
    assert.equal(entries[0]!.id, a.config.digest);
    assert.deepEqual(entries[0]!.tags, [`${stack.registry.host}/a:latest`]);
    assert.equal(entries[1]!.id, '<missing>');
    assert.equal(entries[0]!.size, MiB, 'the top layer holds the 1 MiB file');
    assert.ok(entries[1]!.size > 1_000_000, 'the busybox layer');
    assert.equal(entries[0]!.created, Date.parse(a.configJson.created) / 1000);
    await assert.rejects(stack.client.imageHistory({ reference: 'nope' }), { kind: 'not_found' });
  });

  it('reports disk usage with the shared base layer counted once', async () => {
    const df = await stack.client.diskUsage({});
    const ia = df.images.find((i) => i.image!.id === a.config.digest)!;
    const ib = df.images.find((i) => i.image!.id === b.config.digest)!;
    const base = ia.sharedSize;
    assert.ok(base > 1_000_000, 'busybox is shared');
    assert.equal(ib.sharedSize, base);
    assert.equal(ia.uniqueSize, MiB);
    assert.equal(ib.uniqueSize, 2 * MiB);
    assert.equal(ia.image!.size, base + MiB);
    assert.equal(df.layersSize, base + 3 * MiB, 'each layer once');
    assert.ok(df.contentSize > 3 * MiB);
  });

  it('keeps a shared layer until the last image using it is gone', async () => {
    const removed = await stack.client.removeImage({ reference: `${stack.registry.host}/a`, force: false, noPrune: false });
    assert.ok(!removed.deleted.includes(a.layers[0]!.diffId), 'the busybox layer stays for b');
    assert.equal((await stack.client.diskUsage({})).images[0]!.sharedSize, 0, 'b shares nothing any more');
    await pull(stack.client, `${stack.registry.host}/a`);
  });

  it('prunes every unused image with all, keeping those a container uses', async () => {
    await stack.client.prepareSnapshot({ key: 'c1', image: `${stack.registry.host}/b` });
    const pruned = await stack.client.pruneImages({ all: true, filters: [] });
    assert.ok(pruned.deleted.includes(a.config.digest));
    assert.ok(!pruned.deleted.includes(b.config.digest));
    assert.ok(pruned.spaceReclaimed >= MiB);
    assert.deepEqual((await stack.client.listImages({ all: true, filters: [] })).images.map((i) => i.id), [b.config.digest]);
    await stack.client.removeSnapshot({ key: 'c1' });
  });

  it('records when a tag last moved', async () => {
    const before = Date.now();
    await stack.client.tagImage({ source: `${stack.registry.host}/b`, target: 'retagged:v1' });
    const { image } = await stack.client.getImage({ reference: 'retagged:v1' });
    assert.ok(Date.parse(image!.lastTagTime) >= before - 1000);
  });
});
