import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import * as tar from 'tar-stream';
import type { image } from '@berth/proto';
import { busyboxImage, pushImage, type Image } from '@berth/fixtures';
import { pull, startStack, type Stack } from '../testing/stack.js';

const run = promisify(execFile);

describe('RemoveImage, TagImage and snapshot leases', () => {
  let stack: Stack;
  let busybox: Image;
  let other: Image;
  let ref: string;
  let otherRef: string;
  let busyDigest: string;
  let otherDigest: string;
  const container = 'c0ffee'.padEnd(64, '0');
  const short = (id: string) => id.replace('sha256:', '').slice(0, 12);

  before(async () => {
    stack = await startStack();
    busybox = await busyboxImage();
    other = await busyboxImage({ extraLayers: [(l) => l.file('app/run.sh', 'echo app\n', { mode: 0o755 })], config: { Labels: { app: 'yes' } } });
    busyDigest = await pushImage(stack.registry, 'busybox', 'latest', busybox);
    otherDigest = await pushImage(stack.registry, 'other', '1', other);
    ref = `${stack.registry.host}/busybox:latest`;
    otherRef = `${stack.registry.host}/other:1`;
    await pull(stack.client, ref);
    const p = await pull(stack.client, otherRef);
    assert.equal(p.find((m) => m.id === other.layers[0]!.digest.slice(7, 19))!.status, 'Already exists', 'the shared base layer');
  });
  after(async () => {
    await Promise.all([busybox?.dispose(), other?.dispose()]);
    await stack?.stop();
  });

  it('prepares a container snapshot whose overlay mount shows the image and takes writes', async () => {
    const { mounts, imageId } = await stack.client.prepareSnapshot({ key: container, image: ref });
    assert.equal(imageId, busybox.config.digest);
    assert.equal(mounts.length, 1);
    const [m] = mounts;
    assert.equal(m!.type, 'overlay');
    assert.equal(m!.source, 'overlay');
    assert.match(m!.options[0]!, /^lowerdir=\/.*\/snapshots\/\d+\/fs$/);
    assert.match(m!.options[1]!, /^upperdir=\/.*\/snapshots\/\d+\/fs$/);
    assert.match(m!.options[2]!, /^workdir=\/.*\/snapshots\/\d+\/work$/);
    assert.deepEqual((await stack.client.getSnapshotMounts({ key: container })).mounts, mounts);

    const target = path.join(stack.root, '..', 'rootfs');
    await mkdir(target);
    await run('mount', ['-t', m!.type, m!.source, '-o', m!.options.join(','), target]);
    try {
      const { stdout } = await run('chroot', [target, '/bin/sh', '-c', 'echo hi > /tmp/written; cat /etc/passwd | head -1']);
      assert.equal(stdout, 'root:x:0:0:root:/root:/bin/sh\n');
    } finally {
      await run('umount', [target]);
    }
    const upper = m!.options[1]!.slice('upperdir='.length);
    assert.equal(await readFile(path.join(upper, 'tmp/written'), 'utf8'), 'hi\n');
    const lowerFs = m!.options[0]!.slice('lowerdir='.length);
    await assert.rejects(lstat(path.join(lowerFs, 'tmp/written')), { code: 'ENOENT' });

    await assert.rejects(stack.client.prepareSnapshot({ key: container, image: ref }), { kind: 'already_exists' });
    await assert.rejects(stack.client.prepareSnapshot({ key: 'other', image: 'nope' }), { kind: 'not_found' });
    await assert.rejects(stack.client.prepareSnapshot({ key: '../x', image: ref }), { kind: 'invalid_argument' });
    assert.equal((await stack.client.getImage({ reference: ref })).image!.containers, 1);
  });

  it('refuses to untag or delete an image a container uses, unless forced', async () => {
    await assert.rejects(stack.client.removeImage({ reference: ref, force: false, noPrune: false }), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'failed_precondition');
      assert.equal(err.message, `conflict: unable to remove repository reference "${ref}" (must force) - container ${short(container)} is using its referenced image ${short(busybox.config.digest)}`);
      return true;
    });
    await assert.rejects(stack.client.removeImage({ reference: short(busybox.config.digest), force: false, noPrune: false }), {
      kind: 'failed_precondition',
      message: `conflict: unable to delete ${short(busybox.config.digest)} (must be forced) - image is being used by stopped container ${short(container)}`,
    });
  });

  it('refuses to delete by id an image named in several repositories', async () => {
    await stack.client.tagImage({ source: ref, target: 'second:v1' });
    await assert.rejects(stack.client.removeImage({ reference: busybox.config.digest, force: false, noPrune: false }), {
      kind: 'failed_precondition',
      message: `conflict: unable to delete ${short(busybox.config.digest)} (must be forced) - image is referenced in multiple repositories`,
    });
    const res = await stack.client.removeImage({ reference: 'second:v1', force: false, noPrune: false });
    assert.deepEqual(res, { untagged: ['second:v1'], deleted: [] });
  });

  it('untags a used image when forced but keeps it until the container is gone', async () => {
    const res = await stack.client.removeImage({ reference: ref, force: true, noPrune: false });
    assert.deepEqual(res, { untagged: [ref, `${stack.registry.host}/busybox@${busyDigest}`], deleted: [] });
    const { image } = await stack.client.getImage({ reference: busybox.config.digest });
    assert.deepEqual([image!.repoTags, image!.repoDigests, image!.containers], [[], [], 1]);
    const dangling = await stack.client.listImages({ all: false, filters: [{ key: 'dangling', values: ['true'] }] });
    assert.deepEqual(dangling.images.map((i) => i.id), [busybox.config.digest]);
    const untags = stack.events.events.filter((e) => e.Action === 'untag' && e.Actor.ID === busybox.config.digest);
    assert.ok(untags.length >= 3);
  });

  it('removes a container snapshot idempotently', async () => {
    const upper = (await stack.client.getSnapshotMounts({ key: container })).mounts[0]!.options[1]!.slice('upperdir='.length);
    await stack.client.removeSnapshot({ key: container });
    await stack.client.removeSnapshot({ key: container });
    await assert.rejects(lstat(upper), { code: 'ENOENT' });
    await assert.rejects(stack.client.getSnapshotMounts({ key: container }), { kind: 'not_found' });
    assert.equal((await stack.client.getImage({ reference: busybox.config.digest })).image!.containers, 0);
  });

  it('deletes an image and only the layers and blobs no other image needs', async () => {
    const res = await stack.client.removeImage({ reference: short(busybox.config.digest), force: false, noPrune: false });
    assert.deepEqual(res, { untagged: [], deleted: [busybox.config.digest] }, 'the base layer is shared with "other"');
    const ev = await stack.events.waitFor((e) => e.Action === 'delete');
    assert.equal(ev.Actor.ID, busybox.config.digest);
    const blobs = await readdir(path.join(stack.root, 'content/blobs/sha256'));
    assert.ok(!blobs.includes(busybox.config.digest.slice(7)));
    assert.ok(!blobs.includes(busybox.manifest.digest.slice(7)));
    assert.ok(blobs.includes(busybox.layers[0]!.digest.slice(7)));
    await assert.rejects(stack.client.getImage({ reference: busybox.config.digest }), { kind: 'not_found' });
  });

  it('removing the last tag deletes the image, its digest names, layers and blobs', async () => {
    await stack.client.tagImage({ source: otherRef, target: `${stack.registry.host}/other:2` });
    assert.deepEqual(await stack.client.removeImage({ reference: otherRef, force: false, noPrune: false }), { untagged: [otherRef], deleted: [] });
    const res = await stack.client.removeImage({ reference: `${stack.registry.host}/other:2`, force: false, noPrune: false });
    const chains = other.configJson.rootfs.diff_ids;
    assert.equal(res.untagged.length, 2);
    assert.equal(res.untagged[1], `${stack.registry.host}/other@${otherDigest}`);
    assert.equal(res.deleted[0], other.config.digest);
    assert.equal(res.deleted.length, 3);
    assert.equal(res.deleted[2], chains[0], 'the base layer chain ID is its diff ID');
    assert.deepEqual((await readdir(path.join(stack.root, 'snapshots'))).sort(), ['empty']);
    assert.deepEqual(await readdir(path.join(stack.root, 'content/blobs/sha256')), []);
    await assert.rejects(stack.client.removeImage({ reference: otherRef, force: false, noPrune: false }), { kind: 'not_found', message: `No such image: ${otherRef}` });
  });

  it('prunes dangling images', async () => {
    await pull(stack.client, ref);
    await stack.client.tagImage({ source: ref, target: 'keep:me' });
    await pull(stack.client, otherRef);
    await stack.client.removeImage({ reference: otherRef, force: false, noPrune: false });
    const orphan = path.join(stack.root, 'content/blobs/sha256', 'ab'.repeat(32));
    await writeFile(orphan, 'left by a crash');
    const none = await stack.client.pruneImages({ all: false, filters: [] });
    await assert.rejects(lstat(orphan), { code: 'ENOENT' }, 'unreferenced blobs are collected');
    assert.deepEqual(none, { untagged: [], deleted: [], spaceReclaimed: 0 });
    const all = await stack.client.pruneImages({ all: true, filters: [{ key: 'label', values: ['app=nope'] }] });
    assert.deepEqual(all.deleted, []);
    const pruned = await stack.client.pruneImages({ all: true, filters: [] });
    assert.equal(pruned.deleted[0], busybox.config.digest);
    assert.ok(pruned.spaceReclaimed > 1_000_000);
    assert.deepEqual((await stack.client.listImages({ all: true, filters: [] })).images, []);
  });
});

describe('RemoveImage prunes the parents it leaves unused (a build\'s intermediate images)', () => {
  let stack: Stack;
  let busybox: Image;
  let ref: string;
  const step = { config: {}, tags: [] as string[], platform: { os: '', architecture: '', variant: '' } };
  const short = (id: string) => id.replace('sha256:', '').slice(0, 12);

  before(async () => {
    stack = await startStack();
    busybox = await busyboxImage();
    await pushImage(stack.registry, 'busybox', 'latest', busybox);
    ref = `${stack.registry.host}/busybox:latest`;
    await pull(stack.client, ref);
  });
  after(async () => {
    await busybox?.dispose();
    await stack?.stop();
  });

  /** One build step on `parent`: no layer (a config step) or a one-file layer. */
  async function child(parent: string, name: string, options: { layer?: boolean; tags?: string[] } = {}): Promise<string> {
    const pack = tar.pack();
    if (options.layer) pack.entry({ name, mode: 0o644 }, `${name}\n`);
    pack.finalize();
    async function* requests(): AsyncGenerator<image.ImportLayerRequest> {
      yield { header: { ...step, parent, history: { createdBy: name, comment: '', author: '', created: '' }, tags: options.tags ?? [], noLayer: !options.layer } };
      if (options.layer) for await (const data of pack as unknown as AsyncIterable<Buffer>) yield { data };
    }
    return (await stack.client.importLayer(requests())).image!.id;
  }
  /** base → a (no layer) → b (a layer) → c (no layer, tagged). */
  async function chain(tag: string): Promise<{ a: string; b: string; c: string }> {
    const a = await child(busybox.config.digest, `${tag}-a`);
    const b = await child(a, `${tag}-b`, { layer: true });
    const c = await child(b, `${tag}-c`, { tags: [tag] });
    return { a, b, c };
  }
  const exists = async (id: string) => (await stack.client.listImages({ all: true, filters: [] })).images.some((i) => i.id === id);

  it('a config-only import adds no layer and refuses data; history walks the parents for its ids', async () => {
    const { a, b, c } = await chain('hist:1');
    const img = (await stack.client.getImage({ reference: c })).image!;
    assert.deepEqual(img.diffIds.length, busybox.layers.length + 1, 'only b made a layer');
    const cfg = JSON.parse(Buffer.from(img.config).toString('utf8')) as { history: Array<{ created_by: string; empty_layer?: boolean }> };
    assert.deepEqual(cfg.history.slice(-3).map((h) => [h.created_by, h.empty_layer ?? false]), [['hist:1-a', true], ['hist:1-b', false], ['hist:1-c', true]]);
    const { entries } = await stack.client.imageHistory({ reference: 'hist:1' });
    assert.deepEqual(entries.slice(0, 4).map((e) => e.id), [c, b, a, busybox.config.digest]);
    assert.deepEqual(entries[0]!.tags, ['hist:1']);
    assert.ok(entries.slice(4).every((e) => e.id === '<missing>'), 'a pulled image has no parents');
    async function* withData(): AsyncGenerator<image.ImportLayerRequest> {
      yield { header: { ...step, parent: c, history: { createdBy: 'x', comment: '', author: '', created: '' }, noLayer: true } };
      yield { data: Buffer.from('not empty') };
    }
    await assert.rejects(stack.client.importLayer(withData()), { kind: 'invalid_argument', message: 'an import with no_layer carries no data' });
  });

  it('deletes the untagged parents with the image, unless no_prune; keeps a parent with a name, a container or another child', async () => {
    const { a, b, c } = await chain('prune:1');
    const res = await stack.client.removeImage({ reference: 'prune:1', force: false, noPrune: false });
    assert.equal(res.untagged[0], 'prune:1');
    const images = res.deleted.filter((d) => !/^sha256:[0-9a-f]{64}$/.test(d) || [a, b, c].includes(d));
    assert.deepEqual(images, [c, b, a], 'the image, then its parents newest first (b\'s layer between them)');
    assert.equal(res.deleted.length, 4, 'and the layer b made');
    for (const id of [a, b, c]) assert.equal(await exists(id), false, id);
    assert.equal(await exists(busybox.config.digest), true, 'the tagged base stays');

    const kept = await chain('prune:2');
    assert.deepEqual(await stack.client.removeImage({ reference: 'prune:2', force: false, noPrune: true }), { untagged: ['prune:2'], deleted: [kept.c] });
    assert.equal(await exists(kept.b), true, 'no_prune leaves the parents');

    // Another image built on b: c goes, b and a stay; b cannot be deleted by id while it has a child.
    const other = await child(kept.b, 'other', { tags: ['other:1'] });
    await assert.rejects(stack.client.removeImage({ reference: kept.b, force: true, noPrune: false }), {
      kind: 'failed_precondition',
      message: `conflict: unable to delete ${short(kept.b)} (cannot be forced) - image has dependent child images`,
    });
    await stack.client.tagImage({ source: kept.a, target: 'named:a' });
    const removed = await stack.client.removeImage({ reference: 'other:1', force: false, noPrune: false });
    assert.deepEqual(removed.deleted.filter((d) => [other, kept.a, kept.b].includes(d)), [other, kept.b], 'a has a name');
    const container = 'feed'.padEnd(64, '0');
    await stack.client.prepareSnapshot({ key: container, image: kept.a });
    assert.deepEqual(await stack.client.removeImage({ reference: 'named:a', force: true, noPrune: false }), { untagged: ['named:a'], deleted: [] }, 'a container uses it');
    await stack.client.removeSnapshot({ key: container });
  });

  it('an image something is built on is not dangling: prune leaves a build\'s intermediates while the image built on them is there', async () => {
    const { a, b, c } = await chain('tagged:1');
    const pruned = await stack.client.pruneImages({ all: false, filters: [] });
    for (const id of [a, b, c]) assert.ok(!pruned.deleted.includes(id), id);
    await stack.client.removeImage({ reference: 'tagged:1', force: false, noPrune: true });
    const later = await stack.client.pruneImages({ all: false, filters: [] });
    for (const id of [b, a]) assert.ok(later.deleted.includes(id), `${id} goes once nothing is built on it`);
  });
});
