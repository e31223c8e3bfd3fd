// kill -9 of the runtime service: containers keep running; the restarted service finds them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth } from './harness/cli.js';
import { api } from './harness/api.js';

let s: TestStack;
before(async () => {
  s = await startTestStack();
});
after(async () => {
  await s?.stop();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a detached container survives kill -9 of the runtime service and is managed after restart', async () => {
  const run = await berth(s.socket, ['run', '-d', '--name', 'survivor', s.busybox, 'sleep', '300']);
  assert.equal(run.code, 0, run.stderr);
  const short = await berth(s.socket, ['run', '-d', '--name', 'short', s.busybox, 'sh', '-c', 'trap "exit 5" TERM; while true; do sleep 0.2; done']);
  assert.equal(short.code, 0, short.stderr);
  const before = (await api(s.socket, 'GET', '/containers/survivor/json')).json as { State: { Pid: number } };
  const pid = before.State.Pid;
  const shortInfo = (await api(s.socket, 'GET', '/containers/short/json')).json as { State: { Pid: number } };
  assert.ok(shortInfo.State.Pid > 0);
  assert.ok(pid > 0 && alive(pid));

  await s.kill('runtime', 'SIGKILL');
  assert.ok(alive(pid), 'the container process outlives the runtime service');
  const down = await api(s.socket, 'GET', '/containers/json');
  assert.equal(down.status, 503, 'the gateway says the runtime is unavailable');
  // The short one exits while the runtime is down: signal its process directly from the host.
  const shortPid = shortInfo.State.Pid;
  process.kill(shortPid, 'SIGTERM');
  assert.ok(await waitFor(async () => !alive(shortPid)), 'the short container exited');

  await s.restart('runtime');
  const ps = await berth(s.socket, ['ps', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, /survivor Up /);
  const after = (await api(s.socket, 'GET', '/containers/survivor/json')).json as { State: { Pid: number; Running: boolean } };
  assert.equal(after.State.Pid, pid);
  assert.equal(after.State.Running, true);
  const exited = (await api(s.socket, 'GET', '/containers/short/json')).json as { State: { Status: string; ExitCode: number } };
  assert.equal(exited.State.Status, 'exited', 'the exit that happened while the runtime was down is picked up');
  assert.equal(exited.State.ExitCode, 5);
  const stop = await berth(s.socket, ['stop', '-t', '1', 'survivor']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!alive(pid));
});

async function waitFor(fn: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
