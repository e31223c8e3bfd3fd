import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileInRoot, resolveInRoot } from '../oci/rootfs-path.js';
import { resolveUser } from './user.js';

describe('user resolution from the rootfs', () => {
  let dir: string;
  let rootfs: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-user-'));
    rootfs = path.join(dir, 'rootfs');
    await mkdir(path.join(rootfs, 'etc'), { recursive: true });
    await writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n');
    await writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1001:\nwheel:x:10:app\n');
    await writeFile(path.join(dir, 'outside'), 'evil:x:0:0::/:/bin/sh\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const read = (root: () => string) => (p: string) => readFileInRoot(root(), p);

  it('resolves numeric ids, names, and groups', async () => {
    const r = read(() => rootfs);
    assert.deepEqual(await resolveUser('', r), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
    assert.deepEqual(await resolveUser('app', r), { uid: 1000, gid: 1001, additionalGids: [10], home: '/home/app' });
    assert.deepEqual(await resolveUser('1000:10', r), { uid: 1000, gid: 10, additionalGids: [], home: '/home/app' });
    assert.deepEqual(await resolveUser('5000:app', r), { uid: 5000, gid: 1001, additionalGids: [], home: '/' });
    await assert.rejects(resolveUser('nobody', r), /unable to find user nobody: no matching entries in passwd file/);
    await assert.rejects(resolveUser('app:nogroup', r), /unable to find group nogroup/);
  });

  it('never follows a symlink out of the rootfs', async () => {
    const evil = path.join(dir, 'evil');
    await mkdir(path.join(evil, 'etc'), { recursive: true });
    await symlink('../../../../../../../../outside', path.join(evil, 'etc/passwd'));
    await symlink(path.join(dir, 'outside'), path.join(evil, 'etc/group'));
    assert.equal(await resolveInRoot(evil, '/etc/passwd'), path.join(evil, 'outside'));
    assert.equal(await resolveInRoot(evil, '/etc/group'), path.join(evil, dir, 'outside'));
    await assert.rejects(resolveUser('evil', read(() => evil)), /unable to find user evil/);
  });
});
