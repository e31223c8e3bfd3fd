// The stock docker CLI (v28) against berth's Engine API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestStack, type TestStack } from './harness/stack.js';
import { docker } from './harness/cli.js';

let s: TestStack;
before(async () => {
  s = await startTestStack();
});
after(async () => {
  await s?.stop();
});

test('docker version and info show berth', async () => {
  const v = await docker(s.socket, ['version']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /Server: berth/);
  const info = await docker(s.socket, ['info']);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /Server Version:/);
  assert.match(info.stdout, /Storage Driver: overlay2/);
  assert.doesNotMatch(info.stderr, /error/i);
});

test('docker info names the OCI runtime containers really run with (crun here, through its cgroup v1 view)', async () => {
  const info = await docker(s.socket, ['info', '--format', '{{json .Runtimes}}|{{.DefaultRuntime}}']);
  assert.equal(info.code, 0, info.stderr);
  const [runtimes, chosen] = info.stdout.trim().split('|') as [string, string];
  const paths = JSON.parse(runtimes) as Record<string, { path: string }>;
  assert.ok(paths[chosen]?.path, `the default runtime has a path: ${runtimes}`);
  // setup-host installs crun, and crun works on cgroup-hybrid hosts through its v1 view: auto picks it.
  assert.equal(chosen, 'crun');
  const pull = await docker(s.socket, ['pull', '-q', s.busybox]);
  assert.equal(pull.code, 0, pull.stderr);
  const run = await docker(s.socket, ['run', '-d', '--network', 'none', s.busybox, 'sleep', '30']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    const inspect = await docker(s.socket, ['inspect', '-f', '{{.HostConfig.Runtime}}', id]);
    assert.equal(inspect.stdout.trim(), chosen);
    // The process runs in the v1 cgroups crun made for it (not merely somewhere).
    const cgroups = await docker(s.socket, ['exec', id, 'cat', '/proc/1/cgroup']);
    assert.match(cgroups.stdout, new RegExp(`memory:/.*${id}`));
  } finally {
    await docker(s.socket, ['rm', '-f', id]);
  }
});

test('docker pull, images (all columns), run -d, ps -a, logs, stop, rm, rmi', async () => {
  const pull = await docker(s.socket, ['pull', s.busybox]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Digest: sha256:[0-9a-f]{64}/);
  assert.match(pull.stdout, /Status: (Downloaded newer image|Image is up to date) for /);

  const images = await docker(s.socket, ['images']);
  assert.equal(images.code, 0, images.stderr);
  const lines = images.stdout.trim().split('\n');
  assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  const row = lines.find((l) => l.startsWith(s.busybox));
  assert.ok(row, images.stdout);
  const cols = row.split(/\s{2,}/);
  assert.equal(cols[0], s.busybox);
  assert.equal(cols[1], 'latest');
  assert.match(cols[2]!, /^[0-9a-f]{12}$/);
  assert.match(cols[3]!, /ago|Less than/);
  assert.match(cols[4]!, /^\d+(\.\d+)?[kMG]?B$/);

  const run = await docker(s.socket, ['run', '-d', '--name', 'd1', s.busybox, 'sh', '-c', 'echo from-docker; exec sleep 300']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  const ps = await docker(s.socket, ['ps', '-a']);
  assert.match(ps.stdout, new RegExp(`${id.slice(0, 12)}\\s+${s.busybox.replace(/[.]/g, '\\.')}\\s+"sh -c 'echo from-…"|${id.slice(0, 12)}.*Up .*d1`));
  let logs = await docker(s.socket, ['logs', 'd1']);
  for (let i = 0; i < 50 && !logs.stdout.includes('from-docker'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    logs = await docker(s.socket, ['logs', 'd1']);
  }
  assert.equal(logs.stdout, 'from-docker\n');
  const stop = await docker(s.socket, ['stop', 'd1']);
  assert.equal(stop.code, 0, stop.stderr);
  const exited = await docker(s.socket, ['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
  assert.match(exited.stdout, /d1 Exited \(\d+\)/);
  assert.equal((await docker(s.socket, ['rm', 'd1'])).code, 0);
  const rmi = await docker(s.socket, ['rmi', s.busybox]);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.match(rmi.stdout, /Untagged: /);
  assert.match(rmi.stdout, /Deleted: sha256:/);
  const after = await docker(s.socket, ['images', '-q']);
  assert.equal(after.stdout.trim(), '');
});

test('docker run of a missing image pulls it first, as Docker does', async () => {
  const run = await docker(s.socket, ['run', '-d', s.busybox, 'sleep', '60']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /Unable to find image/);
  assert.equal((await docker(s.socket, ['rm', '-f', run.stdout.trim()])).code, 0);
});
