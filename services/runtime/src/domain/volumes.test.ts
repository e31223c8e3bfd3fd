import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createClient, errorKind, type Client } from '@berth/kit';
import { runtime } from '@berth/proto';
import { RuntimeHarness } from '../testing/runtime-harness.js';

const kind = (k: string, text?: RegExp) => (err: unknown) => {
  assert.equal(errorKind(err), k, String(err));
  if (text) assert.match((err as Error).message, text);
  return true;
};
const exists = (p: string) => access(p).then(() => true, () => false);

describe('named and anonymous volumes (local driver)', () => {
  let h: RuntimeHarness;
  let volumes: Client<typeof runtime.VolumesService>;
  before(async () => {
    h = await RuntimeHarness.create();
    volumes = createClient(runtime.VolumesService, h.service!.address);
    h.images.addImage('withvol', { Env: ['PATH=/bin'], Cmd: ['sh'], Volumes: { '/etc': {} } });
  });
  after(async () => {
    volumes?.close();
    await h?.cleanup();
  });
  const names = async (filters: Array<{ key: string; values: string[] }> = []) =>
    (await volumes.listVolumes({ filters })).volumes.map((v) => v.name).sort();
  const run = async (spec: Parameters<RuntimeHarness['create']>[0]) => {
    const id = await h.run(spec);
    const { exitCode } = await h.client.waitContainer({ id, condition: '' });
    return { id, exitCode, out: await h.logs(id) };
  };

  it('creates, inspects, lists, removes; validates names; create is idempotent', async () => {
    const { volume } = await volumes.createVolume({ name: 'data1', driver: '', labels: { team: 'a' }, driverOpts: {} });
    assert.equal(volume!.mountpoint, path.join(h.config.stateRoot, 'runtime', 'volumes', 'data1', '_data'));
    assert.deepEqual([volume!.driver, volume!.scope, volume!.refCount, volume!.anonymous], ['local', 'local', 0, false]);
    assert.ok(await exists(volume!.mountpoint));
    const again = await volumes.createVolume({ name: 'data1', driver: 'local', labels: {}, driverOpts: {} });
    assert.deepEqual(again.volume!.labels, { team: 'a' });
    assert.deepEqual(await names([{ key: 'label', values: ['team=a'] }]), ['data1']);
    await assert.rejects(volumes.createVolume({ name: 'bad/name', driver: '', labels: {}, driverOpts: {} }), kind('invalid_argument', /invalid characters/));
    await assert.rejects(volumes.createVolume({ name: 'x1', driver: 'nfs', labels: {}, driverOpts: {} }), kind('not_found', /plugin "nfs" not found/));
    await volumes.removeVolume({ name: 'data1', force: false });
    assert.ok(!(await exists(volume!.mountpoint)));
    await assert.rejects(volumes.getVolume({ name: 'data1' }), kind('not_found', /no such volume/));
    await assert.rejects(volumes.removeVolume({ name: 'data1', force: false }), kind('not_found'));
    await volumes.removeVolume({ name: 'data1', force: true });
    const acts = h.events.events.filter((e) => e.Type === 'volume' && e.Actor.ID === 'data1').map((e) => e.Action);
    assert.deepEqual(acts, ['create', 'destroy']);
  });

  it('shares a named volume between containers; refuses its removal while used', async () => {
    const w = await run({ cmd: ['sh', '-c', 'echo kept > /data/file'], binds: ['shared:/data'] });
    assert.equal(w.exitCode, 0);
    const r = await run({ cmd: ['cat', '/data/file'], mounts: [{ type: 'volume', source: 'shared', target: '/data', options: ['ro'] }] });
    assert.equal(r.out, 'kept\n');
    const ro = await run({ cmd: ['sh', '-c', 'echo x > /data/other'], binds: ['shared:/data:ro'] });
    assert.notEqual(ro.exitCode, 0, 'a read-only volume refuses writes');
    assert.equal((await volumes.getVolume({ name: 'shared' })).volume!.refCount, 3);
    await assert.rejects(volumes.removeVolume({ name: 'shared', force: true }), kind('failed_precondition', /volume is in use/));
    const inspect = (await h.client.getContainer({ id: r.id })).container!;
    assert.deepEqual(inspect.volumeMounts!.values.map((m) => [m.name, m.destination, m.readOnly]), [['shared', '/data', true]]);
    for (const id of [w.id, r.id, ro.id]) await h.client.removeContainer({ id, force: false, removeVolumes: true });
    assert.ok(await exists(path.join(h.config.stateRoot, 'runtime', 'volumes', 'shared')), 'rm -v keeps named volumes');
    await volumes.removeVolume({ name: 'shared', force: false });
    const mount = h.events.events.find((e) => e.Type === 'volume' && e.Action === 'mount' && e.Actor.Attributes.container === w.id);
    assert.equal(mount?.Actor.Attributes.destination, '/data');
    assert.ok(h.events.events.some((e) => e.Type === 'volume' && e.Action === 'unmount' && e.Actor.Attributes.container === w.id));
  });

  it('copies the image\'s files into an empty volume (not with nocopy)', async () => {
    const c = await run({ cmd: ['ls', '-a', '/srv/etc'], binds: ['confvol:/srv/etc'] });
    assert.equal(c.out, '.\n..\n', 'nothing at /srv/etc in the image: nothing copied');
    const copied = await run({ cmd: ['true'], binds: ['etcvol:/etc'] });
    assert.equal(copied.exitCode, 0);
    const data = path.join(h.config.stateRoot, 'runtime', 'volumes', 'etcvol', '_data');
    assert.match(await readFile(path.join(data, 'passwd'), 'utf8'), /^root:x:0:0/);
    const none = await run({ cmd: ['ls', '/etc'], binds: ['emptyvol:/etc:nocopy'] });
    assert.equal(none.out, 'hostname\nhosts\nresolv.conf\n', 'only the files the runtime binds');
    for (const id of [c.id, copied.id, none.id]) await h.client.removeContainer({ id, force: false, removeVolumes: false });
  });

  it('makes anonymous volumes (-v /path, image VOLUME); rm -v and prune remove them', async () => {
    const a = await run({ cmd: ['sh', '-c', 'echo a > /scratch/f'], binds: ['/scratch'] });
    const b = await run({ image: 'withvol', cmd: ['cat', '/etc/passwd'] });
    assert.match(b.out, /^root:x:0:0/, 'the image VOLUME got the image\'s files');
    const anonA = (await h.client.getContainer({ id: a.id })).container!.volumeMounts!.values[0]!;
    const anonB = (await h.client.getContainer({ id: b.id })).container!.volumeMounts!.values[0]!;
    assert.ok(anonA.anonymous && /^[0-9a-f]{64}$/.test(anonA.name));
    assert.equal(anonB.destination, '/etc');
    await h.client.removeContainer({ id: a.id, force: false, removeVolumes: true });
    await assert.rejects(volumes.getVolume({ name: anonA.name }), kind('not_found'));
    await h.client.removeContainer({ id: b.id, force: false, removeVolumes: false });
    await volumes.createVolume({ name: 'keepme', driver: '', labels: {}, driverOpts: {} });
    assert.ok((await names([{ key: 'dangling', values: ['true'] }])).includes(anonB.name));
    const pruned = await volumes.pruneVolumes({ filters: [] });
    assert.ok(pruned.removed.includes(anonB.name) && !pruned.removed.includes('keepme'), 'only anonymous ones by default');
    assert.ok(pruned.spaceReclaimed > 0);
    const all = await volumes.pruneVolumes({ filters: [{ key: 'all', values: ['true'] }] });
    assert.ok(all.removed.includes('keepme'));
    assert.deepEqual(await names(), []);
    assert.deepEqual(await readdir(path.join(h.config.stateRoot, 'runtime', 'volumes')), []);
  });
});
