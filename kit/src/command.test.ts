import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand, spawnDetached } from './command.js';
import { errorKind } from './errors.js';
import { safeJoin } from './paths.js';
import { loadConfig } from './config.js';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

test('runCommand passes argv verbatim (no shell) and reports failures with stderr', async () => {
  const r = await runCommand('printf', ['%s|', 'a b', '$(id)', ';rm -rf /']);
  assert.equal(r.stdout, 'a b|$(id)|;rm -rf /|');
  await assert.rejects(runCommand('ls', ['/definitely/not/here']), (err) => {
    assert.equal(errorKind(err), 'internal');
    assert.match((err as Error).message, /No such file/);
    return true;
  });
  await assert.rejects(runCommand('no-such-binary-berth', []), (err) => errorKind(err) === 'unavailable');
  await assert.rejects(runCommand('sleep', ['5'], { timeoutMs: 100 }), (err) => errorKind(err) === 'deadline_exceeded');
  const withInput = await runCommand('cat', [], { input: 'piped' });
  assert.equal(withInput.stdout, 'piped');
  assert.equal((await runCommand('sh', ['-c', 'exit 3'], { okCodes: [3] })).code, 3);
});

test('spawnDetached returns the pid of a process in its own session', async () => {
  const pid = await spawnDetached('sleep', ['30']);
  assert.ok(pid > 0);
  process.kill(pid, 0);
  process.kill(pid, 'SIGKILL');
});

test('safeJoin refuses escapes', () => {
  assert.equal(safeJoin('/r', 'a/b'), '/r/a/b');
  assert.equal(safeJoin('/r', '/etc/passwd'), '/r/etc/passwd');
  assert.throws(() => safeJoin('/r', '../x'), (err) => errorKind(err) === 'invalid_argument');
  assert.throws(() => safeJoin('/r', 'a/../../x'));
});

test('config: defaults < file < env, frozen', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-cfg-'));
  try {
    const file = path.join(dir, 'berth.toml');
    writeFileSync(file, 'log_level = "debug"\n[registry]\ninsecure = ["reg.local:5000"]\n[runtime]\ncgroup_parent = "fromfile"\n');
    const c = loadConfig({ file, env: { BERTH_RUN_ROOT: '/tmp/rr', BERTH_CGROUP_PARENT: 'fromenv' } });
    assert.equal(c.logLevel, 'debug');
    assert.deepEqual(c.registry.insecure, ['reg.local:5000']);
    assert.equal(c.runtime.cgroupParent, 'fromenv');
    assert.equal(c.addresses.image, 'unix:///tmp/rr/image.sock');
    assert.equal(c.gateway.socket, '/tmp/rr/berth.sock');
    assert.ok(Object.isFrozen(c.runtime));
    writeFileSync(file, 'not = [valid');
    assert.throws(() => loadConfig({ file }), (err) => errorKind(err) === 'invalid_argument');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
