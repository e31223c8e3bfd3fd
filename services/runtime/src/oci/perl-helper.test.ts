import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { errorKind } from '@berth/kit';
import { PerlHelper, overlayData } from './perl-helper.js';
import { AttachHub } from './attach-relay.js';
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

describe('perl helper: processes', () => {
  it('starts a detached process in its own session, with the given cwd and environment only; a missing binary is unavailable', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-spawn-'));
    const helper = new PerlHelper();
    try {
      const out = path.join(dir, 'out');
      const script = `echo "$FOO|$HOME|$(pwd)|$(cut -d' ' -f6 /proc/$$/stat)|$$|$(readlink /proc/$$/fd/1)" > ${out}.tmp && mv ${out}.tmp ${out}`;
      const pid = await helper.spawnDetached('/bin/sh', ['-c', script], { cwd: dir, env: { PATH: '/usr/bin:/bin', FOO: 'a=b c' } });
      let text = '';
      for (let i = 0; i < 300 && !text; i++) {
        text = await readFile(out, 'utf8').catch(() => '');
        if (!text) await new Promise((r) => setTimeout(r, 10));
      }
      const [foo, home, cwd, sid, shPid, stdout] = text.trim().split('|');
      assert.equal(foo, 'a=b c');
      assert.equal(home, '');
      assert.equal(cwd, dir);
      assert.equal(Number(shPid), pid);
      assert.equal(Number(sid), pid); // a session leader
      assert.equal(stdout, '/dev/null');
      await assert.rejects(helper.spawnDetached('/no/such/binary', []), (err: Error) => errorKind(err) === 'unavailable' && /no\/such\/binary/.test(err.message));
      await assert.rejects(helper.spawnDetached('/bin/true', [], { cwd: path.join(dir, 'missing') }), (err: Error) => errorKind(err) === 'internal' && /chdir .*missing: No such file/.test(err.message));
    } finally {
      helper.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an attach relay to a socket that is not there fails with the reason, and one that waits is told to try at once', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-relay-'));
    const helper = new PerlHelper();
    const hub = new AttachHub(path.join(dir, 'hub.sock'), helper);
    try {
      const missing = hub.open(path.join(dir, 'nope'));
      await assert.rejects(missing.connected, /cannot attach: connect .*nope: No such file or directory/);
      const waiting = hub.open(path.join(dir, 'later'), true);
      waiting.kick();
      const t0 = Date.now();
      // A SEQPACKET listener Node cannot make: socat, when there is one; else only the failure above is checked.
      const socat = spawn('socat', [`UNIX-LISTEN:${path.join(dir, 'later')},type=5`, 'EXEC:echo hello'], { stdio: 'ignore' });
      const gotSocat = await new Promise<boolean>((r) => socat.once('spawn', () => r(true)).once('error', () => r(false)));
      if (gotSocat) {
        await waiting.connected;
        assert.ok(Date.now() - t0 < 2000);
        waiting.close();
        socat.kill();
      } else {
        waiting.close();
      }
    } finally {
      hub.close();
      helper.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
