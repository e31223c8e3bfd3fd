import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { hybridWithV2Controllers, wrapperSource, writeWrapper } from './crun-v1-view.js';
import { findBinary } from './runtime-probe.js';

const root = process.getuid?.() === 0;
const [crun, perl, strace] = await Promise.all(['crun', 'perl', 'strace'].map((b) => findBinary(b)));
const hybrid = await hybridWithV2Controllers();

describe("crun's v1 view", () => {
  it('is a Perl script that compiles', { skip: !perl && 'needs perl' }, () => {
    const source = wrapperSource(perl!, '/usr/bin/crun', 'x64')!;
    const checked = spawnSync(perl!, ['-c', '-'], { input: source, encoding: 'utf8' });
    assert.equal(checked.status, 0, checked.stderr);
    assert.equal(wrapperSource(perl!, '/usr/bin/crun', 's390x'), undefined, 'no syscall numbers for this architecture');
  });

  it('spares crun its start-up clone of itself', {
    skip: (!root && 'needs root') || (!hybrid && 'needs a cgroup-hybrid host') || ((!crun || !perl || !strace) && 'needs crun, perl and strace'),
  }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-v1view-'));
    try {
      const wrapper = (await writeWrapper(dir, perl!, crun!))!;
      const trace = path.join(dir, 'trace');
      const r = spawnSync(strace!, ['-f', '-qq', '-e', 'trace=execve,execveat', '-o', trace, wrapper, '--root', path.join(dir, 'state'), 'list'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const execs = (await readFile(trace, 'utf8')).split('\n').filter((l) => /execve(at)?\(/.test(l) && !/= -1/.test(l));
      // The wrapper, then crun — which would otherwise re-execute itself from a read-only copy.
      assert.deepEqual(execs.map((l) => /execve(at)?/.exec(l)![0]), ['execve', 'execve'], execs.join('\n'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
