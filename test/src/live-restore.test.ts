// kill -9 of the runtime service: containers keep running; the restarted service finds them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth, docker } from './harness/cli.js';
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
  assert.match(ps.stdout, /survivor Up /, `berth ps after the restore: code ${ps.code}, stdout ${JSON.stringify(ps.stdout)}, stderr ${ps.stderr}`);
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

interface Inspected { State: { Pid: number; Running: boolean; Status: string; ExitCode: number }; RestartCount: number }
const inspect = async (ref: string) => (await api(s.socket, 'GET', `/containers/${ref}/json`)).json as Inspected;

/** Runs `fn` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

test('at scale: 20 running containers stay managed across kill -9; exits meanwhile get their restart policy', async () => {
  const dk = (args: string[]) => docker(s.socket, args);
  const names = Array.from({ length: 20 }, (_, i) => `fleet${i}`);
  // Each prints a numbered tick every 0.2 s (logs must keep flowing) and exits 0 on SIGTERM.
  const ticker = 'trap "exit 0" TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done';
  await inBatches(names, 10, async (name) => {
    const r = await dk(['run', '-d', '--name', name, s.busybox, 'sh', '-c', ticker]);
    assert.equal(r.code, 0, r.stderr);
  });
  // Two with restart policies that exit while the runtime is down (SIGTERM sent from the host).
  const onFailure = await dk(['run', '-d', '--name', 'retry', '--restart', 'on-failure:3', s.busybox, 'sh', '-c', 'trap "exit 3" TERM; while true; do sleep 0.2; done']);
  assert.equal(onFailure.code, 0, onFailure.stderr);
  const always = await dk(['run', '-d', '--name', 'always', '--restart', 'always', s.busybox, 'sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done']);
  assert.equal(always.code, 0, always.stderr);
  const pids = new Map<string, number>();
  for (const name of [...names, 'retry', 'always']) {
    const st = (await inspect(name)).State;
    assert.ok(st.Running && st.Pid > 0, `${name} runs`);
    pids.set(name, st.Pid);
  }
  const since = (Date.now() / 1000).toFixed(3); // events from here on: the exits and the restarts

  await s.kill('runtime', 'SIGKILL');
  for (const name of ['retry', 'always']) process.kill(pids.get(name)!, 'SIGTERM');
  assert.ok(await waitFor(async () => !alive(pids.get('retry')!) && !alive(pids.get('always')!)), 'the two exited while the runtime was down');
  for (const name of names) assert.ok(alive(pids.get(name)!), `${name} outlives the runtime service`);
  await s.restart('runtime');

  // The twenty: same processes, running, and managed — inspect, exec, logs that go on.
  const fleet = await inBatches(names, 20, (name) => inspect(name));
  fleet.forEach((c, i) => assert.deepEqual([c.State.Running, c.State.Pid], [true, pids.get(names[i]!)], names[i]));
  const ps = await dk(['ps', '--filter', 'name=fleet', '--format', '{{.Names}}']);
  assert.equal(ps.stdout.trim().split('\n').length, 20, ps.stdout);
  await inBatches(names, 10, async (name) => {
    const ex = await dk(['exec', name, 'sh', '-c', 'echo exec-$HOSTNAME']);
    assert.equal(ex.code, 0, `${name}: ${ex.stderr}`);
    assert.match(ex.stdout, /^exec-\w+\n$/);
    const lastTick = async () => Number(/tick (\d+)\s*$/.exec((await dk(['logs', '--tail', '1', name])).stdout)?.[1] ?? -1);
    const first = await lastTick();
    assert.ok(first >= 0, `${name} has logs`);
    assert.ok(await waitFor(async () => (await lastTick()) > first), `${name}'s log goes on after the restore`);
  });

  // The exits found by the restore: exit codes recorded (die events), policies applied.
  const restarted = async (name: string) => {
    const c = await inspect(name);
    return c.State.Running && c.RestartCount === 1 && c.State.Pid !== pids.get(name);
  };
  assert.ok(await waitFor(() => restarted('retry')), `on-failure:3 restarted it: ${JSON.stringify(await inspect('retry'))}`);
  assert.ok(await waitFor(() => restarted('always')), `always restarted it: ${JSON.stringify(await inspect('always'))}`);
  const until = Math.floor(Date.now() / 1000) + 1;
  const events = await dk(['events', '--since', since, '--until', String(until), '--filter', 'event=die', '--filter', 'event=start',
    '--format', '{{.Actor.Attributes.name}} {{.Action}} {{index .Actor.Attributes "exitCode"}}']);
  const lines = events.stdout.split('\n').map((l) => l.trim());
  assert.ok(lines.includes('retry die 3'), events.stdout);
  assert.ok(lines.includes('always die 0'), events.stdout);
  assert.equal(lines.filter((l) => l === 'retry start' || l === 'always start').length, 2, events.stdout);

  // Everything stops cleanly.
  await inBatches([...names, 'retry', 'always'], 11, async (name) => {
    const stop = await dk(['stop', '-t', '2', name]);
    assert.equal(stop.code, 0, stop.stderr);
  });
  for (const name of names) assert.ok(!alive(pids.get(name)!), `${name} stopped`);
  const codes = await inBatches(names, 20, async (name) => (await inspect(name)).State.ExitCode);
  assert.deepEqual(codes, names.map(() => 0));
  assert.equal((await inspect('always')).State.Running, false, 'a user stop is not undone by the policy');
});

async function waitFor(fn: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
