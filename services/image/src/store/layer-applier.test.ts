import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURE_MTIME, tempDir, type TempDir } from '@berth/fixtures';
import { applyLayer, getXattr, makedev, mountOverlay } from '../testing/layers.js';

describe('applyLayerTar', () => {
  let dir: TempDir;
  let l1: string;
  let l2: string;

  before(async () => {
    dir = tempDir('berth-applier-');
    l1 = path.join(dir.path, 'l1');
    l2 = path.join(dir.path, 'l2');
    await mkdir(l1);
    await mkdir(l2);
    const r1 = await applyLayer(l1, (l) =>
      l
        .dir('etc')
        .file('etc/hostname', 'base\n')
        .file('etc/gone', 'to be deleted\n')
        .file('bin/tool', 'ELF', { mode: 0o4755, uid: 1000, gid: 50 })
        .symlink('bin/alias', 'tool')
        .hardlink('bin/tool-link', 'bin/tool')
        .file('shared/big', 'shared bytes')
        .dir('cache')
        .file('cache/old-1', 'x')
        .file('cache/old-2', 'y')
        .device('dev/null', 'char', 1, 3)
        .device('dev/loop0', 'block', 7, 0, { mode: 0o660 })
        .fifo('run/pipe')
        .dir('tmp', { mode: 0o1777 }),
      [],
      'create',
    );
    assert.equal(r1.size, 'base\n'.length + 'to be deleted\n'.length + 3 + 'shared bytes'.length + 2);
    await applyLayer(
      l2,
      (l) =>
        l
          .whiteout('etc/gone')
          .opaque('cache')
          .file('cache/new', 'fresh')
          .hardlink('etc/big-link', 'shared/big')
          .hardlink('etc/big-link-2', 'shared/big')
          .file('etc/hostname', 'top\n'),
      [l1],
    );
  });
  after(() => dir.cleanup());

  it('writes files with owner, mode (setuid kept) and mtime', async () => {
    const st = await lstat(path.join(l1, 'bin/tool'));
    assert.ok(st.isFile());
    assert.equal(st.mode & 0o7777, 0o4755);
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 50);
    assert.equal(st.mtime.getTime(), FIXTURE_MTIME.getTime());
    assert.equal(await readFile(path.join(l1, 'etc/hostname'), 'utf8'), 'base\n');
  });

  it('creates symlinks, in-layer hard links, devices (when asked) and fifos', async () => {
    assert.equal(await readlink(path.join(l1, 'bin/alias')), 'tool');
    const [tool, link] = await Promise.all([lstat(path.join(l1, 'bin/tool')), lstat(path.join(l1, 'bin/tool-link'))]);
    assert.equal(link.ino, tool.ino);
    assert.equal(tool.nlink, 2);
    const nul = await lstat(path.join(l1, 'dev/null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, makedev(1, 3));
    const loop = await lstat(path.join(l1, 'dev/loop0'));
    assert.ok(loop.isBlockDevice());
    assert.equal(loop.rdev, makedev(7, 0));
    assert.equal(loop.mode & 0o777, 0o660);
    assert.ok((await lstat(path.join(l1, 'run/pipe'))).isFIFO());
  });

  it('sets directory modes and mtimes after their children', async () => {
    const tmp = await lstat(path.join(l1, 'tmp'));
    assert.equal(tmp.mode & 0o7777, 0o1777);
    const etc = await lstat(path.join(l1, 'etc'));
    assert.equal(etc.mtime.getTime(), FIXTURE_MTIME.getTime());
    const implicit = await lstat(path.join(l1, 'bin'));
    assert.ok(implicit.isDirectory(), 'missing parents are created');
    assert.equal(implicit.mode & 0o777, 0o755);
  });

  it('turns whiteouts into char devices 0/0 and opaque markers into the overlay xattr', async () => {
    const wh = await lstat(path.join(l2, 'etc/gone'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.equal(await getXattr(path.join(l2, 'cache'), 'trusted.overlay.opaque'), 'y');
    await assert.rejects(lstat(path.join(l2, 'etc/.wh.gone')), { code: 'ENOENT' });
    await assert.rejects(lstat(path.join(l2, 'cache/.wh..wh..opq')), { code: 'ENOENT' });
  });

  it('copies a hard link target from a lower layer, once per target', async () => {
    const a = await lstat(path.join(l2, 'etc/big-link'));
    const b = await lstat(path.join(l2, 'etc/big-link-2'));
    assert.ok(a.isFile());
    assert.equal(a.ino, b.ino);
    assert.equal(await readFile(path.join(l2, 'etc/big-link'), 'utf8'), 'shared bytes');
    await assert.rejects(lstat(path.join(l2, 'shared/big')), { code: 'ENOENT' }, 'the lower file itself is not copied up');
  });

  it('shows the expected merged view through a real overlay mount', async () => {
    const target = path.join(dir.path, 'merged');
    await mkdir(target);
    const unmount = await mountOverlay([l2, l1], target);
    try {
      await assert.rejects(lstat(path.join(target, 'etc/gone')), { code: 'ENOENT' });
      assert.deepEqual((await readdir(path.join(target, 'cache'))).sort(), ['new']);
      assert.equal(await readFile(path.join(target, 'etc/hostname'), 'utf8'), 'top\n');
      assert.equal(await readFile(path.join(target, 'bin/tool'), 'utf8'), 'ELF');
      assert.equal(await readFile(path.join(target, 'etc/big-link'), 'utf8'), 'shared bytes');
      assert.ok((await lstat(path.join(target, 'dev/null'))).isCharacterDevice());
      assert.deepEqual((await readdir(path.join(target, 'etc'))).sort(), ['big-link', 'big-link-2', 'hostname']);
    } finally {
      await unmount();
    }
  });
});
