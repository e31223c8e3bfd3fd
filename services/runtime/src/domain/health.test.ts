import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorKind } from '@berth/kit';
import type { runtime } from '@berth/proto';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { until } from '../testing/until.js';

const MS = 1e6;
const check = (test: string[], over: Partial<runtime.Healthcheck> = {}): runtime.Healthcheck => ({
  test, intervalNs: 100 * MS, timeoutNs: 2000 * MS, retries: 2, startPeriodNs: 0, startIntervalNs: 0, ...over,
});

describe('healthchecks (probes run as execs)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
    h.images.addImage('healthy-image', {
      Env: ['PATH=/bin'], Cmd: ['sleep', '300'],
      Healthcheck: { Test: ['CMD-SHELL', 'echo image-check'], Interval: 100 * MS, Retries: 1 },
    });
  });
  after(async () => {
    await h?.cleanup();
  });
  const health = async (id: string) => (await h.client.getContainer({ id })).container!.state!.health;
  const statusEvents = (id: string) => h.events.events.filter((e) => e.Actor.ID === id && e.Action.startsWith('health_status')).map((e) => e.Action);

  it('starts as starting, turns unhealthy after the retries, healthy when the test passes', async () => {
    const id = await h.run({ cmd: ['sleep', '300'], healthcheck: check(['CMD-SHELL', 'cat /tmp/ok || exit 1']) });
    assert.equal((await health(id))!.status, 'starting');
    await until('unhealthy', async () => (await health(id))?.status === 'unhealthy');
    const sick = (await health(id))!;
    assert.ok(sick.failingStreak >= 2);
    assert.equal(sick.log.at(-1)!.exitCode, 1);
    assert.match(sick.log.at(-1)!.output, /can't open '\/tmp\/ok'/);
    await h.exec(id, ['sh', '-c', 'echo fine > /tmp/ok']);
    await until('healthy', async () => (await health(id))?.status === 'healthy');
    const fine = (await health(id))!;
    assert.deepEqual([fine.failingStreak, fine.log.at(-1)!.output], [0, 'fine\n']);
    assert.ok(fine.log.length <= 5);
    assert.deepEqual(statusEvents(id), ['health_status: unhealthy', 'health_status: healthy']);
    await h.client.removeContainer({ id, force: true, removeVolumes: false });
  });

  it('records a timed-out probe as -1', async () => {
    const id = await h.run({ cmd: ['sleep', '300'], healthcheck: check(['CMD', 'sleep', '30'], { timeoutNs: 200 * MS, retries: 1 }) });
    await until('unhealthy by timeout', async () => (await health(id))?.status === 'unhealthy');
    const last = (await health(id))!.log.at(-1)!;
    assert.equal(last.exitCode, -1);
    assert.match(last.output, /Health check exceeded timeout/);
    await h.client.removeContainer({ id, force: true, removeVolumes: false });
  });

  it('takes the image\'s HEALTHCHECK; NONE turns it off', async () => {
    const id = await h.run({ image: 'healthy-image' });
    await until('healthy', async () => (await health(id))?.status === 'healthy');
    assert.equal((await health(id))!.log.at(-1)!.output, 'image-check\n');
    const off = await h.run({ image: 'healthy-image', healthcheck: check(['NONE']) });
    assert.equal(await health(off), undefined);
    for (const c of [id, off]) await h.client.removeContainer({ id: c, force: true, removeVolumes: false });
    await assert.rejects(h.create({ cmd: ['true'], healthcheck: check(['WHAT', 'x']) }), (e) => errorKind(e) === 'invalid_argument');
  });

  it('acts on --health-on-failure: kill, stop, restart', async () => {
    const failing = check(['CMD', 'false'], { retries: 1 });
    const killed = await h.run({ cmd: ['sleep', '300'], healthcheck: failing, healthOnFailure: 'kill' });
    assert.equal((await h.client.waitContainer({ id: killed, condition: '' })).exitCode, 137);
    const stopped = await h.run({ cmd: ['sleep', '300'], healthcheck: failing, healthOnFailure: 'stop', stopTimeout: 0 });
    await h.client.waitContainer({ id: stopped, condition: '' });
    assert.ok(h.events.events.some((e) => e.Actor.ID === stopped && e.Action === 'stop'));
    const restarted = await h.run({ cmd: ['sleep', '300'], healthcheck: failing, healthOnFailure: 'restart', stopTimeout: 0 });
    await h.event(restarted, 'restart');
    assert.equal((await h.client.getContainer({ id: restarted })).container!.state!.status, 'running');
    await h.client.removeContainer({ id: restarted, force: true, removeVolumes: false });
  });
});
