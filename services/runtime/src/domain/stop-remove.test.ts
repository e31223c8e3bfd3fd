import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { errorKind } from '@berth/kit';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { until } from '../testing/until.js';

/** What a container may leave on the host: mounts, cgroup dirs, conmon processes. */
async function leftovers(id: string, root: string): Promise<string[]> {
  const found: string[] = [];
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) if (line.includes(id) || line.includes(`${root}/s/`)) found.push(`mount: ${line}`);
  for (const controller of await readdir('/sys/fs/cgroup')) {
    const entries = await readdir(`/sys/fs/cgroup/${controller}/berth`).catch(() => [] as string[]);
    if (entries.includes(id)) found.push(`cgroup: ${controller}/berth/${id}`);
  }
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(id)) found.push(`process ${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

describe('stop, kill, remove (real runc + conmon)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
  });
  after(async () => {
    await h?.cleanup();
  });

  it('stops a container that handles SIGTERM without waiting for the timeout', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; echo ready; while true; do sleep 0.1; done'] });
    await until('the trap', async () => (await h.logs(id)) === 'ready\n');
    const t0 = Date.now();
    const res = await h.client.stopContainer({ id, timeoutSeconds: 30, signal: '' });
    assert.equal(res.alreadyStopped, false);
    assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`);
    const { container } = await h.client.getContainer({ id });
    assert.equal(container!.state!.status, 'exited');
    assert.equal(container!.state!.exitCode, 0);
    assert.equal(await h.logs(id), 'ready\ngot TERM\n');
    const actions = h.events.events.filter((e) => e.Actor.ID === id).map((e) => e.Action);
    assert.deepEqual(actions, ['create', 'start', 'kill', 'die', 'stop']);
    assert.equal(h.events.events.find((e) => e.Actor.ID === id && e.Action === 'kill')!.Actor.Attributes.signal, '15');
    assert.equal((await h.client.stopContainer({ id, signal: '' })).alreadyStopped, true);
  });

  it('stops sleep 300 (pid 1 ignores TERM) by SIGKILL after the timeout', async () => {
    const id = await h.run({ cmd: ['sleep', '300'] });
    const t0 = Date.now();
    await h.client.stopContainer({ id, timeoutSeconds: 1, signal: '' });
    const took = Date.now() - t0;
    assert.ok(took >= 1000 && took < 6000, `stop took ${took} ms`);
    const { exitCode } = await h.client.waitContainer({ id, condition: '' });
    assert.equal(exitCode, 137);
  });

  it("kills a process that traps TERM away (trap '' TERM) after the timeout", async () => {
    const id = await h.run({ cmd: ['sh', '-c', "trap '' TERM; sleep 300 & wait"] });
    await h.client.stopContainer({ id, timeoutSeconds: 1, signal: '' });
    assert.equal((await h.client.getContainer({ id })).container!.state!.exitCode, 137);
    const signals = h.events.events.filter((e) => e.Actor.ID === id && e.Action === 'kill').map((e) => e.Actor.Attributes.signal);
    assert.deepEqual(signals, ['15', '9']);
  });

  it('kills with a signal by name and refuses a stopped container', async () => {
    // pid 1 ignores signals it has no handler for: kill only once the trap is set.
    const id = await h.run({ cmd: ['sh', '-c', 'trap "echo usr1; exit 7" USR1; echo ready; while true; do sleep 0.1; done'] });
    await until('the trap', async () => (await h.logs(id)) === 'ready\n');
    await h.client.killContainer({ id, signal: 'SIGUSR1' });
    assert.equal((await h.client.waitContainer({ id, condition: 'not-running' })).exitCode, 7);
    assert.equal(await h.logs(id), 'ready\nusr1\n');
    await assert.rejects(h.client.killContainer({ id, signal: 'KILL' }), (err) => {
      assert.equal(errorKind(err), 'failed_precondition');
      assert.equal((err as Error).message, `Container ${id} is not running`);
      return true;
    });
    await assert.rejects(h.client.killContainer({ id, signal: 'SIGNOPE' }), (err) => errorKind(err) === 'invalid_argument');
  });

  it('refuses to remove a running container; remove -f leaves no mount, cgroup or conmon', async () => {
    const id = await h.run({ cmd: ['sleep', '300'] }, 'doomed');
    assert.ok((await leftovers(id, h.root)).length > 0, 'a running container shows up');
    await assert.rejects(h.client.removeContainer({ id, force: false, removeVolumes: false }), (err) => {
      assert.equal(errorKind(err), 'failed_precondition');
      assert.match((err as Error).message, /^You cannot remove a running container [0-9a-f]{64}\. Stop the container/);
      return true;
    });
    const removed = h.client.waitContainer({ id, condition: 'removed' });
    await h.client.removeContainer({ id, force: true, removeVolumes: false });
    assert.equal((await removed).exitCode, 137);
    assert.deepEqual(await leftovers(id, h.root), []);
    await assert.rejects(h.client.getContainer({ id }), (err) => errorKind(err) === 'not_found');
    await h.event(id, 'destroy');
    await h.create({ cmd: ['true'] }, 'doomed'); // the name is free again
  });

  it('wait next-exit resolves on the coming exit', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'read x; exit 4'], openStdin: true });
    const waiting = h.client.waitContainer({ id, condition: 'next-exit' });
    await h.client.killContainer({ id, signal: 'KILL' });
    assert.equal((await waiting).exitCode, 137);
  });

  it('restarts a running container (kill, die, stop, start, restart)', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'echo run; trap "exit 0" TERM; while true; do sleep 0.1; done'] });
    const firstPid = (await h.client.getContainer({ id })).container!.state!.pid;
    await h.client.restartContainer({ id, timeoutSeconds: 10 });
    const c = (await h.client.getContainer({ id })).container!;
    assert.equal(c.state!.status, 'running');
    assert.notEqual(c.state!.pid, firstPid);
    const actions = h.events.events.filter((e) => e.Actor.ID === id).map((e) => e.Action);
    assert.deepEqual(actions, ['create', 'start', 'kill', 'die', 'stop', 'start', 'restart']);
    await until('the second run\'s output', async () => (await h.logs(id)) === 'run\nrun\n');
  });

  it('records an OOM kill (memory limit) with an oom event before die', async () => {
    const id = await h.run({ cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], resources: { memory: 8 * 1024 * 1024 } });
    assert.equal((await h.client.waitContainer({ id, condition: '' })).exitCode, 137);
    const c = (await h.client.getContainer({ id })).container!;
    assert.equal(c.state!.oomKilled, true);
    const actions = h.events.events.filter((e) => e.Actor.ID === id).map((e) => e.Action);
    assert.deepEqual(actions, ['create', 'start', 'oom', 'die']);
  });
});
