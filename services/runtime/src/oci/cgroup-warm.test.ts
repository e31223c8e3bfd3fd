import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CgroupAttachWarmer, ownProcsFile } from './cgroup-warm.js';

const root = process.getuid?.() === 0;

describe('cgroup attach warmer', () => {
  it('finds this process in a cgroup.procs, writes to it while held and stops when released', { skip: !root && 'needs root (writes cgroup.procs)' }, async () => {
    const file = await ownProcsFile();
    assert.ok(file, 'no cgroup.procs lists this process');
    assert.ok((await readFile(file, 'utf8')).split('\n').includes(String(process.pid)));
    const before = await readFile(file, 'utf8');
    const warmer = new CgroupAttachWarmer(file);
    const release = warmer.hold();
    await delay(40);
    assert.equal((warmer as unknown as { running: boolean }).running, true);
    release();
    release(); // twice is once
    await delay(20);
    assert.equal((warmer as unknown as { running: boolean; holders: number }).running, false);
    assert.equal((warmer as unknown as { holders: number }).holders, 0);
    // The process is where it was: a move to its own cgroup changes nothing.
    assert.ok((await readFile(file, 'utf8')).split('\n').includes(String(process.pid)));
    assert.ok(before.split('\n').includes(String(process.pid)));
  });

  it('turns itself off where the file cannot be written, and holding is then a no-op', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-warm-'));
    try {
      const warmer = new CgroupAttachWarmer(path.join(dir, 'no-such-dir', 'cgroup.procs'));
      warmer.hold()();
      await delay(20);
      assert.equal((warmer as unknown as { disabled: boolean }).disabled, true);
      assert.equal(new CgroupAttachWarmer(undefined).hold()(), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
