import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxImage, pushImage, type Image } from '@berth/fixtures';
import { accessLogBlobGets } from '../testing/registry-shim.js';
import { pull, startStack, type Stack } from '../testing/stack.js';

const MiB = 1024 * 1024;

describe('PullImage: concurrent pulls share their work', () => {
  let stack: Stack;
  const images: Image[] = [];
  const committedLayers = async () => (await readdir(path.join(stack.root, 'snapshots'))).filter((n) => /^\d+$/.test(n)).length;
  const getsOf = (digest: string) => accessLogBlobGets(stack.registry.logs()).filter((g) => g.digest === digest);

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    for (const i of images) await i.dispose();
    await stack?.stop();
  });

  it('fetches each blob once and unpacks each layer once when the same image is pulled twice at once', async () => {
    const img = await busyboxImage({ extraLayers: [(l) => l.randomFile('a', 4 * MiB, 'c1'), (l) => l.randomFile('b', 4 * MiB, 'c2')] });
    images.push(img);
    await pushImage(stack.registry, 'twice', 'latest', img);
    const ref = `${stack.registry.host}/twice`;
    const [one, two] = await Promise.all([pull(stack.client, ref), pull(stack.client, ref)]);
    assert.equal(one.at(-1)!.image!.id, img.config.digest);
    assert.equal(two.at(-1)!.image!.id, img.config.digest);
    // Layer blobs once. (The config is read once by the image service, and by the registry
    // service's Resolve of each pull, which takes a single-platform image's platform from it.)
    for (const blob of img.layers) assert.equal(getsOf(blob.digest).length, 1, `GETs of ${blob.digest}`);
    assert.equal(await committedLayers(), img.layers.length, 'one snapshot per layer');
    // The second pull waited for the first one's layers and then found them.
    const waited = two.some((p) => p.status === 'Waiting') ? two : one;
    for (const l of img.layers) assert.deepEqual(waited.filter((p) => p.id === l.digest.slice(7, 19)).map((p) => p.status), ['Waiting', 'Already exists']);
  });

  it('shares the base layer between two images pulled at once', async () => {
    const [a, b] = await Promise.all([
      busyboxImage({ extraLayers: [(l) => l.randomFile('a', 2 * MiB, 'only-a')] }),
      busyboxImage({ extraLayers: [(l) => l.randomFile('b', 2 * MiB, 'only-b')] }),
    ]);
    images.push(a, b);
    await pushImage(stack.registry, 'share-a', 'latest', a);
    await pushImage(stack.registry, 'share-b', 'latest', b);
    const before = await committedLayers();
    await Promise.all([pull(stack.client, `${stack.registry.host}/share-a`), pull(stack.client, `${stack.registry.host}/share-b`)]);
    assert.equal(a.layers[0]!.digest, b.layers[0]!.digest);
    // The busybox layer was pulled by the first test already: only the two top layers are new.
    assert.equal(await committedLayers(), before + 2);
    for (const blob of [a.layers[1]!, b.layers[1]!]) assert.equal(getsOf(blob.digest).length, 1);
  });
});
