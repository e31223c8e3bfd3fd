// The runtime's later features through the stock docker CLI and the berth CLI: exec, stdin and
// attach, volumes, top, stats, update, pause, restart policies and healthchecks — real services.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth, docker } from './harness/cli.js';

let s: TestStack;
let box: string;
const dk = (args: string[], input?: string) => docker(s.socket, args, input === undefined ? {} : { input });

/** Polls `probe` with a short back-off until it holds (no fixed sleeps). */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 20; !(await probe()); pause = Math.min(pause * 2, 250)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(pause);
  }
}

before(async () => {
  s = await startTestStack();
  assert.equal((await dk(['pull', '-q', s.busybox])).code, 0);
  const run = await dk(['run', '-d', '--network', 'none', '--name', 'box', s.busybox, 'sleep', '600']);
  assert.equal(run.code, 0, run.stderr);
  box = run.stdout.trim();
});
after(async () => {
  await s?.stop();
});

test('docker run -i feeds stdin and closes it; exec: output, exit codes, stdin, user, workdir, env', async () => {
  const piped = await dk(['run', '--rm', '-i', '--network', 'none', s.busybox, 'sh', '-c', 'cat; echo done'], 'line\n');
  assert.deepEqual([piped.code, piped.stdout], [0, 'line\ndone\n']);
  const ex = await dk(['exec', 'box', 'sh', '-c', 'echo out; echo err >&2; exit 4']);
  assert.deepEqual([ex.code, ex.stdout, ex.stderr], [4, 'out\n', 'err\n']);
  const opts = await dk(['exec', '-u', '1000', '-w', '/tmp', '-e', 'X=1', 'box', 'sh', '-c', 'echo $X $(id -u) $(pwd)']);
  assert.equal(opts.stdout, '1 1000 /tmp\n');
  assert.equal((await dk(['exec', '-i', 'box', 'cat'], 'via stdin\n')).stdout, 'via stdin\n');
  const missing = await dk(['exec', 'box', 'no-such-command']);
  assert.equal(missing.code, 127);
  assert.match(missing.stdout + missing.stderr, /executable file (`[^`]*` )?not found/);
  const inspect = await dk(['inspect', '-f', '{{len .ExecIDs}}', 'box']);
  assert.ok(Number(inspect.stdout) >= 4);
  const cli = await berth(s.socket, ['exec', 'box', 'sh', '-c', 'echo from-berth; exit 3']);
  assert.deepEqual([cli.code, cli.stdout], [3, 'from-berth\n']);
});

test('docker attach sends stdin to a running container and returns its output', async () => {
  const run = await dk(['run', '-di', '--network', 'none', '--name', 'reader', s.busybox, 'sh', '-c', 'read x; echo got $x; exit 6']);
  assert.equal(run.code, 0, run.stderr);
  const attach = await dk(['attach', 'reader'], 'hello\n');
  assert.equal(attach.stdout, 'got hello\n');
  assert.equal(attach.code, 6);
  assert.equal((await dk(['rm', 'reader'])).code, 0);
});

test('volumes: create, use from two containers, ls, inspect, refuse removal in use, prune', async () => {
  assert.equal((await dk(['volume', 'create', 'e2evol'])).code, 0);
  assert.equal((await dk(['run', '--rm', '--network', 'none', '-v', 'e2evol:/data', s.busybox, 'sh', '-c', 'echo kept > /data/f'])).code, 0);
  const read = await dk(['run', '--name', 'vreader', '--network', 'none', '-v', 'e2evol:/data:ro', s.busybox, 'cat', '/data/f']);
  assert.equal(read.stdout, 'kept\n');
  assert.match((await dk(['volume', 'ls'])).stdout, /local\s+e2evol/);
  assert.match((await dk(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'e2evol'])).stdout, /\/runtime\/volumes\/e2evol\/_data/);
  const inUse = await dk(['volume', 'rm', 'e2evol']);
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, /volume is in use/);
  assert.equal((await dk(['rm', 'vreader'])).code, 0);
  assert.equal((await berth(s.socket, ['volume', 'rm', 'e2evol'])).code, 0);
  assert.equal((await dk(['run', '--rm', '--network', 'none', '-v', '/anon', s.busybox, 'true'])).code, 0, '--rm takes its anonymous volume');
  assert.equal((await dk(['volume', 'ls', '-q'])).stdout, '');
});

test('top, stats, update, pause and unpause', async () => {
  const top = await dk(['top', 'box']);
  assert.match(top.stdout, /PID[\s\S]*sleep 600/);
  const stats = await dk(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'box']);
  assert.equal(stats.stdout.trim(), 'box 1');
  assert.equal((await dk(['update', '--memory', '64m', '--pids-limit', '40', 'box'])).code, 0);
  assert.equal((await dk(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}', 'box'])).stdout.trim(), `${64 * 1024 * 1024} 40`);
  assert.equal((await dk(['pause', 'box'])).code, 0);
  assert.equal((await dk(['inspect', '-f', '{{.State.Status}}', 'box'])).stdout.trim(), 'paused');
  assert.equal((await dk(['unpause', 'box'])).code, 0);
  assert.equal((await dk(['inspect', '-f', '{{.State.Status}}', 'box'])).stdout.trim(), 'running');
});

test('restart policy and healthcheck', async () => {
  const failing = await dk(['run', '-d', '--network', 'none', '--restart', 'on-failure:2', s.busybox, 'sh', '-c', 'exit 1']);
  const id = failing.stdout.trim();
  await until('two restarts', async () => (await dk(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', id])).stdout.trim() === '2 exited');
  const hc = await dk(['run', '-d', '--network', 'none', '--health-cmd', 'test -e /tmp/ok', '--health-interval', '200ms', '--health-retries', '1', s.busybox, 'sleep', '600']);
  const hid = hc.stdout.trim();
  const health = async () => (await dk(['inspect', '-f', '{{.State.Health.Status}}', hid])).stdout.trim();
  await until('unhealthy', async () => (await health()) === 'unhealthy');
  assert.equal((await dk(['exec', hid, 'touch', '/tmp/ok'])).code, 0);
  await until('healthy', async () => (await health()) === 'healthy');
  assert.equal((await dk(['rm', '-f', id, hid])).code, 0);
});
