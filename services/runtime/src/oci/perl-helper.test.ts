import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PerlHelper, overlayData } from './perl-helper.js';
import { CommandRootfsMounter, mountPoints } from './rootfs-mounter.js';

const root = process.getuid?.() === 0;

describe('perl helper', () => {
  it('takes only plain overlay data', () => {
    assert.equal(overlayData('overlay', ['lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w']), 'lowerdir=/a:/b,upperdir=/u,workdir=/w');
    assert.equal(overlayData('overlay', ['lowerdir=/a', 'ro']), undefined);
    assert.equal(overlayData('bind', ['rbind']), undefined);
    assert.equal(overlayData('overlay', [`lowerdir=${'/x'.repeat(2100)}`]), undefined);
  });

  it('mounts and unmounts an overlay, reports errors, and falls back after close', { skip: !root && 'needs root' }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-mount-'));
    const syscalls = new PerlHelper();
    try {
      for (const d of ['l', 'u', 'w', 'm']) await mkdir(path.join(dir, d));
      await writeFile(path.join(dir, 'l', 'f'), 'lower');
      const target = path.join(dir, 'm');
      const mounter = new CommandRootfsMounter(syscalls);
      const spec = { type: 'overlay', source: 'overlay', target: '', options: [`lowerdir=${dir}/l`, `upperdir=${dir}/u`, `workdir=${dir}/w`] };
      await mounter.mount([spec], target);
      assert.ok((await mountPoints()).includes(target));
      assert.equal(await readFile(path.join(target, 'f'), 'utf8'), 'lower');
      await mounter.mount([spec], target); // idempotent
      await mounter.unmount(target);
      assert.ok(!(await mountPoints()).includes(target));
      await assert.rejects(syscalls.umount(target), (err: Error & { errno?: number }) => err.errno === 22); // EINVAL: not a mount point
      await assert.rejects(syscalls.mount('overlay', path.join(dir, 'nope'), 'overlay', 0, spec.options.join(',')), (err: Error & { errno?: number }) => err.errno === 2);
      syscalls.close();
      assert.equal(syscalls.available, false);
      await mounter.mount([spec], target); // through mount(8) now
      assert.ok((await mountPoints()).includes(target));
      await mounter.unmount(target);
      assert.ok(!(await mountPoints()).includes(target));
    } finally {
      syscalls.close();
      for (const m of (await mountPoints()).filter((p) => p.startsWith(dir)).reverse()) await import('node:child_process').then((cp) => cp.spawnSync('umount', ['-l', m]));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
