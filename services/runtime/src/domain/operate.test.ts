import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { errorKind } from '@berth/kit';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { until } from '../testing/until.js';

const kind = (k: string, text?: RegExp) => (err: unknown) => {
  assert.equal(errorKind(err), k, String(err));
  if (text) assert.match((err as Error).message, text);
  return true;
};
const cg = (controller: string, id: string, file: string) => readFile(`/sys/fs/cgroup/${controller}/berth/${id}/${file}`, 'utf8').then((t) => t.trim());

describe('pause, rename, update, top, stats (real runc + conmon)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
  });
  after(async () => {
    await h?.cleanup();
  });
  const state = async (id: string) => (await h.client.getContainer({ id })).container!;

  it('pauses (freezer) and unpauses, with events; refuses what Docker refuses', async () => {
    const id = await h.run({ cmd: ['sleep', '300'] });
    // Starting a running container does nothing and says so (Docker's 304); by name prefix too.
    assert.deepEqual(await h.client.startContainer({ id: id.slice(0, 12) }), { alreadyRunning: true });
    await h.client.pauseContainer({ id });
    assert.equal(await cg('freezer', id, 'freezer.state'), 'FROZEN');
    const c = await state(id);
    assert.deepEqual([c.state!.status, c.state!.paused, c.state!.running], ['paused', true, true]);
    await assert.rejects(h.client.pauseContainer({ id }), kind('failed_precondition', /already paused/));
    await assert.rejects(h.client.createExec({
      containerId: id, cmd: ['true'], env: [], user: '', workingDir: '', tty: false, privileged: false,
      attachStdin: false, attachStdout: true, attachStderr: true, detachKeys: '',
    }), kind('failed_precondition', /is paused/));
    await h.client.unpauseContainer({ id });
    assert.equal(await cg('freezer', id, 'freezer.state'), 'THAWED');
    await assert.rejects(h.client.unpauseContainer({ id }), kind('failed_precondition', /is not paused/));
    assert.deepEqual(h.events.events.filter((e) => e.Actor.ID === id).map((e) => e.Action).slice(-2), ['pause', 'unpause']);
    // A paused container can be stopped: the signal is delivered once thawed.
    await h.client.pauseContainer({ id });
    await h.client.stopContainer({ id, timeoutSeconds: 1, signal: '' });
    assert.equal((await state(id)).state!.status, 'exited');
    await assert.rejects(h.client.pauseContainer({ id }), kind('failed_precondition', /is not running/));
  });

  it('renames: lookup by the new name, conflicts, same name, event with the old name', async () => {
    const id = await h.create({ cmd: ['true'] }, 'before');
    await h.create({ cmd: ['true'] }, 'taken');
    await h.client.renameContainer({ id, name: 'after' });
    assert.equal((await h.client.getContainer({ id: 'after' })).container!.id, id);
    await assert.rejects(h.client.getContainer({ id: 'before' }), kind('not_found'));
    await assert.rejects(h.client.renameContainer({ id, name: 'taken' }), kind('already_exists', /"\/taken" is already in use/));
    await assert.rejects(h.client.renameContainer({ id, name: 'after' }), kind('invalid_argument', /same name/));
    await assert.rejects(h.client.renameContainer({ id, name: 'bad name' }), kind('invalid_argument', /Invalid container name/));
    const ev = await h.event(id, 'rename');
    assert.deepEqual([ev.Actor.Attributes.name, ev.Actor.Attributes.oldName], ['after', '/before']);
  });

  it('updates memory, cpu and pids of a running container (runc update) and keeps them', async () => {
    const id = await h.run({ cmd: ['sleep', '300'], resources: { memory: 128 * 1024 * 1024 } });
    await h.client.updateContainer({
      id, resources: { memory: 64 * 1024 * 1024, memorySwap: 0, nanoCpus: 0, cpuShares: 512, cpuPeriod: 0, cpuQuota: 0, cpusetCpus: '0', pidsLimit: 50, blkioWeight: 0 },
      restartPolicy: { name: 'on-failure', maximumRetryCount: 2 },
    });
    assert.equal(await cg('memory', id, 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    assert.equal(await cg('memory', id, 'memory.memsw.limit_in_bytes').catch(() => 'no swap accounting'), String(128 * 1024 * 1024));
    assert.equal(await cg('cpu', id, 'cpu.shares'), '512');
    assert.equal(await cg('cpuset', id, 'cpuset.cpus'), '0');
    assert.equal(await cg('pids', id, 'pids.max'), '50');
    const c = await state(id);
    assert.deepEqual([c.spec!.resources!.memory, c.spec!.resources!.pidsLimit, c.spec!.resources!.cpuShares], [64 * 1024 * 1024, 50, 512]);
    assert.deepEqual(c.spec!.restartPolicy, { name: 'on-failure', maximumRetryCount: 2 });
    assert.ok(h.events.events.some((e) => e.Actor.ID === id && e.Action === 'update'));
    const zero = { memory: 0, memorySwap: 0, nanoCpus: 0, cpuShares: 0, cpuPeriod: 0, cpuQuota: 0, cpusetCpus: '', pidsLimit: 0, blkioWeight: 0 };
    await assert.rejects(h.client.updateContainer({ id, resources: { ...zero, memory: 1024 } }), kind('invalid_argument', /Minimum memory/));
    await assert.rejects(h.client.updateContainer({ id, resources: zero, restartPolicy: { name: 'always', maximumRetryCount: 3 } }), kind('invalid_argument'));
    await h.client.stopContainer({ id, timeoutSeconds: 0, signal: '' });
    await h.client.startContainer({ id });
    assert.equal(await cg('memory', id, 'memory.limit_in_bytes'), String(64 * 1024 * 1024), 'kept for the next start');
    await h.client.removeContainer({ id, force: true, removeVolumes: false });
  });

  it('lists the container\'s processes (top) with ps arguments', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'sleep 301 & sleep 302; exit 0'] });
    // Right after the start the init may still be `runc init`, about to exec the command.
    await until('the command running', async () => (await h.client.topContainer({ id, psArgs: '' })).processes.length === 3);
    const top = await h.client.topContainer({ id, psArgs: '' });
    assert.deepEqual(top.titles.slice(-1), ['CMD']);
    assert.ok(top.titles.includes('PID'));
    const cmds = top.processes.map((p) => p.values.at(-1)).sort();
    assert.deepEqual(cmds, ['sh -c sleep 301 & sleep 302; exit 0', 'sleep 301', 'sleep 302']);
    const custom = await h.client.topContainer({ id, psArgs: '-o pid,comm' });
    assert.deepEqual(custom.titles, ['PID', 'COMMAND']);
    assert.equal(custom.processes.length, 3);
    await assert.rejects(h.client.topContainer({ id, psArgs: '-o comm' }), kind('invalid_argument', /PID field/));
    await h.client.removeContainer({ id, force: true, removeVolumes: false });
    await assert.rejects(h.client.topContainer({ id: (await h.create({ cmd: ['true'] })), psArgs: '' }), kind('failed_precondition', /not running/));
  });

  it('reports stats from the cgroup, one-shot and streamed with precpu', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'while true; do :; done'], resources: { memory: 64 * 1024 * 1024, pidsLimit: 20 } });
    const [one] = await collect(h.client.containerStats({ id, stream: false, intervalMs: 0 }));
    assert.ok(one!.cpu!.totalUsage > 0);
    assert.ok(one!.cpu!.systemCpuUsage > 0 && one!.cpu!.onlineCpus > 0);
    assert.ok(one!.memory!.usage > 0);
    assert.equal(one!.memory!.limit, 64 * 1024 * 1024);
    assert.deepEqual([one!.pidsCurrent, one!.pidsLimit], [1, 20]);
    assert.equal(one!.preread, '0001-01-01T00:00:00Z');
    assert.equal(one!.cgroupVersion, 'v1');
    const abort = new AbortController();
    const samples = [];
    for await (const s of h.client.containerStats({ id, stream: true, intervalMs: 100 }, { signal: abort.signal })) {
      samples.push(s);
      if (samples.length === 3) break;
    }
    abort.abort();
    assert.equal(samples[1]!.preread, samples[0]!.read);
    assert.equal(samples[1]!.precpu!.totalUsage, samples[0]!.cpu!.totalUsage);
    assert.ok(samples[2]!.cpu!.totalUsage > samples[1]!.cpu!.totalUsage, 'a busy loop uses CPU');
    await h.client.removeContainer({ id, force: true, removeVolumes: false });
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
