import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { until } from '../testing/until.js';

describe('restart policies (real runc + conmon)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
  });
  after(async () => {
    await h?.cleanup();
  });

  const state = async (id: string) => (await h.client.getContainer({ id })).container!;
  const actions = (id: string) => h.events.events.filter((e) => e.Actor.ID === id).map((e) => e.Action);

  it('on-failure:3 restarts a failing container three times, backing off, then leaves it exited', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'echo run; exit 3'], restartPolicy: { name: 'on-failure', maximumRetryCount: 3 } });
    await until('three restarts and a final exit', async () => {
      const c = await state(id);
      return c.restartCount === 3 && c.state!.status === 'exited';
    });
    assert.deepEqual(actions(id), ['create', 'start', 'die', 'start', 'die', 'start', 'die', 'start', 'die']);
    assert.equal(await h.logs(id), 'run\nrun\nrun\nrun\n');
    assert.equal((await state(id)).state!.exitCode, 3);
    // The delays between an exit and the next start grow: 100, 200, 400 ms.
    const times = h.events.events.filter((e) => e.Actor.ID === id && (e.Action === 'die' || e.Action === 'start')).map((e) => e.timeNano / 1e6);
    const gaps = [times[2]! - times[1]!, times[4]! - times[3]!, times[6]! - times[5]!];
    gaps.forEach((g, i) => assert.ok(g >= 100 * 2 ** i - 5, `gap ${i} was ${g.toFixed(0)} ms`));
  });

  it('on-failure leaves a successful exit alone; a user start counts from zero', async () => {
    const id = await h.run({ cmd: ['true'], restartPolicy: { name: 'on-failure', maximumRetryCount: 0 } });
    assert.equal((await h.client.waitContainer({ id, condition: 'not-running' })).exitCode, 0);
    const c = await state(id);
    assert.deepEqual([c.state!.status, c.restartCount], ['exited', 0]);
  });

  it('always restarts until a user stops it, also while it waits for the restart', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'exit 1'], restartPolicy: { name: 'always', maximumRetryCount: 0 } });
    await until('a few restarts, then waiting for the next', async () => {
      const c = await state(id);
      return c.restartCount >= 4 && c.state!.status === 'restarting';
    });
    const c = await state(id);
    assert.deepEqual([c.state!.running, c.state!.restarting], [true, true]);
    assert.equal((await h.client.stopContainer({ id, signal: '' })).alreadyStopped, false);
    const stopped = await state(id);
    assert.equal(stopped.state!.status, 'exited');
    const starts = actions(id).filter((a) => a === 'start').length;
    // The pending restart (≥ 1.6 s away by now) must not happen: no start within its delay.
    await assert.rejects(h.events.waitFor((e) => e.Actor.ID === id && e.Action === 'start' && actions(id).filter((a) => a === 'start').length > starts, 2500));
    assert.equal((await state(id)).state!.status, 'exited');
    await h.client.startContainer({ id });
    await until('restarted by policy after a user start', async () => (await state(id)).restartCount >= 1);
    await h.client.killContainer({ id, signal: 'KILL' }).catch(() => undefined); // may be between runs
    await h.client.stopContainer({ id, signal: '' });
    assert.equal((await state(id)).state!.status, 'exited');
  });

  it('wait next-exit returns at the next exit, even when the policy restarts it', async () => {
    const trigger = path.join(h.root, 'go-next-exit');
    await mkdir(trigger);
    const id = await h.run({
      cmd: ['sh', '-c', 'while [ ! -e /t/go ]; do sleep 0.05; done; rm /t/go; exit 4'],
      binds: [`${trigger}:/t`], restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 },
    });
    const next = h.client.waitContainer({ id, condition: 'next-exit' });
    await writeFile(path.join(trigger, 'go'), '');
    assert.equal((await next).exitCode, 4);
    await until('running again', async () => (await state(id)).state!.status === 'running');
    await h.client.stopContainer({ id, timeoutSeconds: 0, signal: '' });
  });

  it('applies the policy to an exit picked up when the service comes back (live restore)', async () => {
    const trigger = path.join(h.root, 'go-restore');
    await mkdir(trigger);
    const id = await h.run({
      cmd: ['sh', '-c', 'if [ -e /t/go ]; then rm /t/go; exit 2; fi; while [ ! -e /t/go ]; do sleep 0.05; done; rm /t/go; exit 2'],
      binds: [`${trigger}:/t`], restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 },
    });
    await h.stopService();
    await writeFile(path.join(trigger, 'go'), '');
    const exitFile = path.join(h.config.runRoot, 'runtime', 'exits', id);
    await until('the exit recorded by conmon', () => access(exitFile).then(() => true, () => false));
    await h.startService();
    await until('restarted after the restore', async () => {
      const c = await state(id);
      return c.restartCount === 1 && c.state!.status === 'running';
    });
    await h.client.stopContainer({ id, timeoutSeconds: 0, signal: '' });
    assert.equal((await state(id)).state!.status, 'exited');
  });
});
