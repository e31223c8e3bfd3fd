import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { until } from '../testing/until.js';

const exists = (file: string) => access(file).then(() => true, () => false);

/** Gone, or a zombie nobody reaped yet. */
async function processGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || stat.includes(') Z');
}

describe('live restore (real runc + conmon)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
  });
  after(async () => {
    await h?.cleanup();
  });

  it('keeps containers across a service restart and picks up exits that happened meanwhile', async () => {
    const trigger = path.join(h.root, 'trigger');
    await mkdir(trigger);
    const keeper = await h.run({ cmd: ['sh', '-c', 'echo up; trap "exit 0" TERM; while true; do sleep 0.1; done'] }, 'keeper');
    const leaver = await h.run({
      cmd: ['sh', '-c', 'while [ ! -e /trigger/go ]; do sleep 0.05; done; echo bye; exit 5'],
      binds: [`${trigger}:/trigger:ro`],
    }, 'leaver');
    const orphan = await h.run({ cmd: ['sleep', '300'] }, 'orphan');
    const before = (await h.client.getContainer({ id: keeper })).container!;

    await h.stopService();
    const exitFile = path.join(h.config.runRoot, 'runtime', 'exits', leaver);
    await writeFile(path.join(trigger, 'go'), '');
    await until('the exit recorded by conmon', () => exists(exitFile));
    const orphanMonitor = Number((await readFile(path.join(h.config.runRoot, 'runtime', 'containers', orphan, 'conmon.pid'), 'utf8')).trim());
    process.kill(orphanMonitor, 'SIGKILL'); // its monitor dies while nobody watches
    await until('conmon gone', () => processGone(orphanMonitor));
    const restartedAt = Date.now();
    await h.startService();

    const k = (await h.client.getContainer({ id: keeper })).container!;
    assert.equal(k.state!.status, 'running');
    assert.equal(k.state!.pid, before.state!.pid);
    const running = (await h.client.listContainers({ all: false, limit: 0, filters: [] })).containers.map((c) => c.id);
    assert.deepEqual(running, [keeper]);

    const l = (await h.client.getContainer({ id: leaver })).container!;
    assert.equal(l.state!.status, 'exited');
    assert.equal(l.state!.exitCode, 5);
    assert.ok(Date.parse(l.state!.finishedAt) <= restartedAt, 'the exit time is when it happened, not when it was noticed');
    const die = await h.event(leaver, 'die');
    assert.equal(die.Actor.Attributes.exitCode, '5');
    assert.equal(await h.logs(leaver), 'bye\n');

    const o = (await h.client.getContainer({ id: orphan })).container!;
    assert.equal(o.state!.status, 'exited');
    assert.equal(o.state!.exitCode, 255);
    assert.match(o.state!.error, /monitor/);

    assert.equal((await h.client.stopContainer({ id: keeper, timeoutSeconds: 10, signal: '' })).alreadyStopped, false);
    assert.equal((await h.client.getContainer({ id: keeper })).container!.state!.exitCode, 0);
    assert.equal(await h.logs(keeper), 'up\n');
  });

  it('applies the restart policy to an exit found by the restore (RestartCount counts it)', async () => {
    const trigger = path.join(h.root, 'trigger-policy');
    await mkdir(trigger);
    // Exits 3 when triggered; started again (the trigger still there) it just runs.
    const cmd = ['sh', '-c', '[ -e /t/go ] && exec sleep 300; while [ ! -e /t/go ]; do sleep 0.05; done; exit 3'];
    const id = await h.run({ cmd, binds: [`${trigger}:/t:ro`], restartPolicy: { name: 'on-failure', maximumRetryCount: 3 } }, 'retrier');
    const pid = (await h.client.getContainer({ id })).container!.state!.pid;

    await h.stopService();
    await writeFile(path.join(trigger, 'go'), '');
    await until('the exit recorded by conmon', () => exists(path.join(h.config.runRoot, 'runtime', 'exits', id)));
    await h.startService();

    const die = await h.event(id, 'die');
    assert.equal(die.Actor.Attributes.exitCode, '3');
    await until('started again by its policy', async () => {
      const c = (await h.client.getContainer({ id })).container!;
      return c.state!.status === 'running' && c.state!.pid !== pid && c.restartCount === 1;
    });
    assert.equal((await h.client.stopContainer({ id, timeoutSeconds: 1, signal: '' })).alreadyStopped, false);
    const stopped = (await h.client.getContainer({ id })).container!;
    assert.deepEqual([stopped.state!.status, stopped.restartCount], ['exited', 1], 'a user stop is not undone');
  });
});
