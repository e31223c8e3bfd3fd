// Issue "First light", as a new user would try it: berth CLI against a real stack, a real
// docker-registry, real runc containers under conmon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth } from './harness/cli.js';
import { cgroupsUnder, conmonsUnder, mountsUnder } from './harness/leaks.js';

let s: TestStack;
before(async () => {
  s = await startTestStack();
});
after(async () => {
  await s?.stop();
});

test('berth run --rm prints the output and exits with the container code', async () => {
  const hello = await berth(s.socket, ['run', '--rm', s.busybox, 'echo', 'hello']);
  assert.equal(hello.code, 0, hello.stderr);
  assert.equal(hello.stdout, 'hello\n');
  const three = await berth(s.socket, ['run', '--rm', s.busybox, 'sh', '-c', 'exit 3']);
  assert.equal(three.code, 3, three.stderr);
  const ps = await berth(s.socket, ['ps', '-a', '-q']);
  assert.equal(ps.stdout.trim(), '', '--rm removed both containers');
});

test('detached run, ps, logs, stop, rm behave as Docker', async () => {
  const run = await berth(s.socket, ['run', '-d', '--name', 'web', s.busybox, 'sh', '-c', 'echo started; exec sleep 300']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);

  const ps = await berth(s.socket, ['ps']);
  assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES/);
  const row = ps.stdout.split('\n').find((l) => l.startsWith(id.slice(0, 12)));
  assert.ok(row, ps.stdout);
  assert.match(row, /Up /);
  assert.match(row, /web$/);

  let logs = await berth(s.socket, ['logs', 'web']);
  for (let i = 0; i < 50 && !logs.stdout.includes('started'); i++) {
    await new Promise((r) => setTimeout(r, 100)); // the shell may not have printed yet
    logs = await berth(s.socket, ['logs', 'web']);
  }
  assert.equal(logs.stdout, 'started\n');

  const dup = await berth(s.socket, ['run', '-d', '--name', 'web', s.busybox, 'true']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /Conflict\. The container name "\/web" is already in use/);

  const stop = await berth(s.socket, ['stop', '-t', '2', 'web']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout.trim(), 'web');
  const inspect = await berth(s.socket, ['inspect', 'web']);
  const [info] = JSON.parse(inspect.stdout);
  assert.equal(info.State.Status, 'exited');
  assert.equal(info.State.Running, false);
  assert.equal(info.Name, '/web');

  const all = await berth(s.socket, ['ps', '-a']);
  assert.match(all.stdout, /Exited \(\d+\) /);
  const rm = await berth(s.socket, ['rm', 'web']);
  assert.equal(rm.code, 0, rm.stderr);
  const gone = await berth(s.socket, ['inspect', 'web']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /No such container: web/);
});

test('rm -f of a running container leaves no mounts, cgroups or conmon behind', async () => {
  const run = await berth(s.socket, ['run', '-d', s.busybox, 'sleep', '300']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  assert.ok(cgroupsUnder(s.cgroupParent).some((c) => c.endsWith(id)), 'the container has a cgroup under berth\'s parent');
  assert.equal(conmonsUnder(s.root).length, 1);
  const rm = await berth(s.socket, ['rm', '-f', id]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.deepEqual(cgroupsUnder(s.cgroupParent), []);
  assert.deepEqual(conmonsUnder(s.root), []);
  assert.deepEqual(mountsUnder(s.root), []);
});

test('images, tag, rmi, version, info', async () => {
  const images = await berth(s.socket, ['images']);
  assert.match(images.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/);
  assert.ok(images.stdout.includes(s.busybox), images.stdout);
  assert.equal((await berth(s.socket, ['tag', s.busybox, 'mine/box:v1'])).code, 0);
  assert.match((await berth(s.socket, ['images'])).stdout, /mine\/box\s+v1/);
  const rmi = await berth(s.socket, ['rmi', 'mine/box:v1']);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.match(rmi.stdout, /Untagged: mine\/box:v1/);
  const version = await berth(s.socket, ['version']);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /berth/i);
  const info = await berth(s.socket, ['info']);
  assert.equal(info.code, 0, info.stderr);
});
