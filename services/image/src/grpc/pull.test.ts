import assert from 'node:assert/strict';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxImage, pushImage, type Image } from '@berth/fixtures';
import { pull, startStack, type Stack } from '../testing/stack.js';

describe('PullImage through the real registry service', () => {
  let stack: Stack;
  let busybox: Image;
  let ref: string;
  let repoDigest: string;

  before(async () => {
    stack = await startStack();
    busybox = await busyboxImage({ extraLayers: [(l) => l.file('etc/motd', 'hello from layer 2\n').whiteout('etc/shadow')] });
    repoDigest = await pushImage(stack.registry, 'busybox', 'latest', busybox);
    ref = `${stack.registry.host}/busybox:latest`;
  });
  after(async () => {
    await busybox?.dispose();
    await stack?.stop();
  });

  it('streams Docker-style progress and ends with the image', async () => {
    const progress = await pull(stack.client, ref);
    const layerIds = busybox.layers.map((l) => l.digest.slice(7, 19));
    assert.deepEqual(progress[0], { id: 'latest', status: 'Pulling from busybox', current: 0, total: 0, image: undefined });
    for (const [i, id] of layerIds.entries()) {
      const statuses = progress.filter((p) => p.id === id).map((p) => p.status);
      const order = ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete'];
      assert.deepEqual([...new Set(statuses)].filter((s) => s !== 'Waiting'), order, `layer ${id}`);
      const downloads = progress.filter((p) => p.id === id && p.status === 'Downloading');
      assert.equal(downloads.at(-1)!.current, busybox.layers[i]!.size);
      assert.ok(downloads.every((d) => d.total === busybox.layers[i]!.size && d.current <= d.total));
      const extracting = progress.filter((p) => p.id === id && p.status === 'Extracting');
      assert.deepEqual(extracting.at(-1), { id, status: 'Extracting', current: busybox.layers[i]!.size, total: busybox.layers[i]!.size, image: undefined });
    }
    const [digest, status] = progress.slice(-2);
    assert.equal(digest!.status, `Digest: ${repoDigest}`);
    assert.equal(status!.status, `Status: Downloaded newer image for ${ref}`);
    const img = status!.image!;
    assert.equal(img.id, busybox.config.digest);
    assert.deepEqual(img.repoTags, [ref]);
    assert.deepEqual(img.repoDigests, [`${stack.registry.host}/busybox@${repoDigest}`]);
    assert.deepEqual(img.diffIds, busybox.layers.map((l) => l.diffId));
    assert.equal(img.os, 'linux');
    assert.equal(img.architecture, 'amd64');
    assert.equal(img.manifestDigest, busybox.manifest.digest);
    assert.ok(img.size > 1_000_000, 'the busybox binary counts');
    assert.deepEqual(JSON.parse(img.config.toString()), busybox.configJson);
  });

  it('stores blobs and one committed snapshot per layer, with no ingest left', async () => {
    const blobs = await readdir(path.join(stack.root, 'content/blobs/sha256'));
    for (const d of [busybox.config.digest, busybox.manifest.digest, ...busybox.layers.map((l) => l.digest)]) {
      assert.ok(blobs.includes(d.slice(7)), d);
    }
    assert.deepEqual(await readdir(path.join(stack.root, 'content/ingest')), []);
    const snaps = (await readdir(path.join(stack.root, 'snapshots'))).filter((n) => /^\d+$/.test(n));
    assert.equal(snaps.length, 2);
    const files = await Promise.all(snaps.map((n) => lstat(path.join(stack.root, 'snapshots', n, 'fs/bin/busybox')).then(() => true, () => false)));
    assert.equal(files.filter(Boolean).length, 1);
  });

  it('publishes the pull event after the image is stored', async () => {
    const ev = await stack.events.waitFor((e) => e.Action === 'pull');
    assert.equal(ev.Type, 'image');
    assert.equal(ev.Actor.ID, ref);
    assert.equal(ev.Actor.Attributes['name'], `${stack.registry.host}/busybox`);
  });

  it('says "Already exists" and "Image is up to date" on a second pull', async () => {
    const progress = await pull(stack.client, ref);
    for (const l of busybox.layers) {
      assert.deepEqual(progress.filter((p) => p.id === l.digest.slice(7, 19)).map((p) => p.status), ['Already exists']);
    }
    assert.equal(progress.at(-1)!.status, `Status: Image is up to date for ${ref}`);
    assert.equal(progress.at(-1)!.image!.id, busybox.config.digest);
  });

  it('pulls by digest and records only the digest name', async () => {
    const byDigest = `${stack.registry.host}/busybox@${repoDigest}`;
    const progress = await pull(stack.client, byDigest);
    assert.equal(progress[0]!.status, 'Pulling from busybox');
    assert.equal(progress[0]!.id, repoDigest);
    assert.equal(progress.at(-1)!.status, `Status: Image is up to date for ${byDigest}`);
  });

  it('finds the image by name, digest, full id, hex id and unique prefix', async () => {
    const id = busybox.config.digest;
    for (const name of [ref, `${stack.registry.host}/busybox`, `${stack.registry.host}/busybox@${repoDigest}`, id, id.slice(7), id.slice(7, 10), `sha256:${id.slice(7, 15)}`]) {
      const { image } = await stack.client.getImage({ reference: name });
      assert.equal(image!.id, id, name);
    }
    await assert.rejects(stack.client.getImage({ reference: 'busybox' }), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'not_found');
      assert.equal(err.message, 'No such image: busybox:latest');
      return true;
    });
    await assert.rejects(stack.client.getImage({ reference: 'f00dfeed' }), { kind: 'not_found' });
  });

  it('lists images, with filters', async () => {
    const { images } = await stack.client.listImages({ all: false, filters: [] });
    assert.deepEqual(images.map((i) => i.id), [busybox.config.digest]);
    const none = await stack.client.listImages({ all: false, filters: [{ key: 'dangling', values: ['true'] }] });
    assert.equal(none.images.length, 0);
    const byRef = await stack.client.listImages({ all: false, filters: [{ key: 'reference', values: ['*/busy*'] }] });
    assert.equal(byRef.images.length, 1);
    await assert.rejects(stack.client.listImages({ all: false, filters: [{ key: 'bogus', values: ['1'] }] }), { kind: 'invalid_argument' });
  });

  it('tags, refusing invalid targets', async () => {
    await stack.client.tagImage({ source: ref, target: 'mine/box:v1' });
    const { image } = await stack.client.getImage({ reference: 'mine/box:v1' });
    assert.deepEqual(image!.repoTags.sort(), [ref, 'mine/box:v1'].sort());
    const ev = await stack.events.waitFor((e) => e.Action === 'tag');
    assert.deepEqual([ev.Actor.ID, ev.Actor.Attributes['name']], [busybox.config.digest, 'mine/box:v1']);
    for (const target of ['Upper:v1', 'a/B', 'bad tag', `x@${repoDigest}`, 'a:b:c', '']) {
      await assert.rejects(stack.client.tagImage({ source: ref, target }), { kind: 'invalid_argument' }, target);
    }
    await assert.rejects(stack.client.tagImage({ source: 'nope', target: 'x' }), { kind: 'not_found' });
  });
});
