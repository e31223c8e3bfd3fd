import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
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
