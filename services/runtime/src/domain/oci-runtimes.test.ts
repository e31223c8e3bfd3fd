// Both OCI runtimes berth can drive, each for real: runc, and crun — on this cgroup-hybrid host
// through its v1 view (oci/crun-v1-view.ts), since crun 1.8 refuses hybrid hosts as they are.
// The rest of the runtime tests use what `auto` picks (crun, when it works).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { until } from '../testing/until.js';

const MiB = 1024 * 1024;
const exists = (p: string) => access(p).then(() => true, () => false);
const cg = (controller: string, id: string, file: string) => readFile(`/sys/fs/cgroup/${controller}/berth/${id}/${file}`, 'utf8').then((t) => t.trim());
const V1_HIERARCHIES = ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'];

async function processGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || stat.includes(') Z');
}

/** The container's cgroup directories that still exist, in any v1 hierarchy. */
async function cgroupsLeft(id: string): Promise<string[]> {
  const dirs = V1_HIERARCHIES.map((h) => `/sys/fs/cgroup/${h}/berth/${id}`);
  const left = await Promise.all(dirs.map(async (d) => ((await exists(d)) ? d : undefined)));
  return left.filter((d): d is string => d !== undefined);
}

const UPDATE = { memory: 96 * MiB, memorySwap: 0, nanoCpus: 0, cpuShares: 0, cpuPeriod: 0, cpuQuota: 0, cpusetCpus: '', pidsLimit: 40, blkioWeight: 200 };

for (const runtime of ['runc', 'crun']) {
  describe(`OCI runtime ${runtime} (real containers under conmon)`, () => {
    let h: RuntimeHarness;
    before(async () => {
      h = await RuntimeHarness.create({ runtime: { ociRuntime: runtime } });
    });
    after(async () => {
      await h?.cleanup();
    });

    it('runs a container with limits; exec, update, pause, stop; removal leaves no runtime state, cgroup or process', async () => {
      const id = await h.run({ cmd: ['sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done'], resources: { memory: 64 * MiB, pidsLimit: 30, blkioWeight: 300 } });
      const c = (await h.client.getContainer({ id })).container!;
      assert.equal(c.runtime, runtime);
      const stateDir = path.join(h.config.runRoot, 'runtime', runtime, id);
      assert.ok(await exists(stateDir), `${runtime} keeps the container under its own root`);

      // The limit from both sides: the host's cgroup file and the container's own view.
      assert.equal(await cg('memory', id, 'memory.limit_in_bytes'), String(64 * MiB));
      assert.equal(await cg('pids', id, 'pids.max'), '30');
      const weightFile = (await exists('/sys/fs/cgroup/blkio/blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight'; // BFQ only on kernels without CFQ
      assert.equal(await cg('blkio', id, weightFile), '300');
      const inside = await h.exec(id, ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
      assert.deepEqual([inside.exitCode, inside.stdout.trim()], [0, String(64 * MiB)]);
      const code = await h.exec(id, ['sh', '-c', 'exit 4']);
      assert.equal(code.exitCode, 4);

      await h.client.updateContainer({ id, resources: UPDATE });
      assert.equal(await cg('memory', id, 'memory.limit_in_bytes'), String(96 * MiB));
      assert.equal(await cg('pids', id, 'pids.max'), '40');
      assert.equal(await cg('blkio', id, weightFile), '200');

      await h.client.pauseContainer({ id });
      assert.equal(await cg('freezer', id, 'freezer.state'), 'FROZEN');
      await h.client.unpauseContainer({ id });
      assert.equal(await cg('freezer', id, 'freezer.state'), 'THAWED');

      const monitorPid = Number((await readFile(path.join(h.config.runRoot, 'runtime', 'containers', id, 'conmon.pid'), 'utf8')).trim());
      await h.client.stopContainer({ id, timeoutSeconds: 10, signal: '' });
      const stopped = (await h.client.getContainer({ id })).container!;
      assert.deepEqual([stopped.state!.status, stopped.state!.exitCode], ['exited', 7]);
      assert.equal(await exists(stateDir), false, 'the runtime forgot the stopped container');
      assert.deepEqual(await cgroupsLeft(id), []);
      await until('conmon gone', () => processGone(monitorPid));

      await h.client.startContainer({ id }); // a second start makes it again in the same runtime
      assert.ok(await exists(stateDir));
      await h.client.removeContainer({ id, force: true, removeVolumes: false });
      assert.equal(await exists(stateDir), false);
      assert.deepEqual(await cgroupsLeft(id), []);
      assert.deepEqual(await readdir(path.join(h.config.runRoot, 'runtime', runtime)), []);
    });

    it('fails a start whose cgroup cannot be set up, and leaves no cgroup behind', async () => {
      const id = await h.create({ cmd: ['true'], resources: { cpusetCpus: '999' } }); // no such CPU here
      await assert.rejects(h.client.startContainer({ id }), (err: Error) => /cpuset/i.test(err.message));
      assert.equal(await exists(path.join(h.config.runRoot, 'runtime', runtime, id)), false);
      assert.deepEqual(await cgroupsLeft(id), []);
      await h.client.removeContainer({ id, force: true, removeVolumes: false });
    });

    it('fails a command that does not exist with 127 and leaves nothing in the runtime', async () => {
      const id = await h.create({ cmd: ['/no/such/binary'] });
      await assert.rejects(h.client.startContainer({ id }), (err: Error) => /no such file/i.test(err.message));
      const c = (await h.client.getContainer({ id })).container!;
      assert.equal(c.state!.exitCode, 127);
      assert.equal(await exists(path.join(h.config.runRoot, 'runtime', runtime, id)), false);
      assert.deepEqual(await cgroupsLeft(id), []);
      await h.client.removeContainer({ id, force: true, removeVolumes: false });
    });
  });
}

describe('a change of OCI runtime (runc, then crun) with containers running', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create({ runtime: { ociRuntime: 'runc' } });
  });
  after(async () => {
    await h?.cleanup();
  });

  it('keeps the containers runc made with runc, and makes new ones with crun', async () => {
    const old = await h.run({ cmd: ['sh', '-c', 'trap "exit 3" TERM; while true; do sleep 0.1; done'] }, 'made-by-runc');
    const pid = (await h.client.getContainer({ id: old })).container!.state!.pid;
    await h.stopService();
    await h.startService({ ociRuntime: 'crun' });

    const kept = (await h.client.getContainer({ id: old })).container!;
    assert.deepEqual([kept.state!.status, kept.state!.pid], ['running', pid]);
    const viaRunc = await h.exec(old, ['sh', '-c', 'echo still here']);
    assert.deepEqual([viaRunc.exitCode, viaRunc.stdout], [0, 'still here\n']);
    await h.client.pauseContainer({ id: old });
    assert.equal(await cg('freezer', old, 'freezer.state'), 'FROZEN');
    await h.client.unpauseContainer({ id: old });

    const fresh = await h.run({ cmd: ['sleep', '300'] }, 'made-by-crun');
    assert.equal((await h.client.getContainer({ id: fresh })).container!.runtime, 'crun');
    assert.ok(await exists(path.join(h.config.runRoot, 'runtime', 'crun', fresh)));

    await h.client.stopContainer({ id: old, timeoutSeconds: 10, signal: '' });
    assert.equal((await h.client.getContainer({ id: old })).container!.state!.exitCode, 3);
    assert.deepEqual(await readdir(path.join(h.config.runRoot, 'runtime', 'runc')), [], 'runc forgot it');
    await h.client.startContainer({ id: old }); // started again: now with the runtime chosen today
    assert.ok(await exists(path.join(h.config.runRoot, 'runtime', 'crun', old)));
    for (const id of [old, fresh]) await h.client.removeContainer({ id, force: true, removeVolumes: false });
    assert.deepEqual(await readdir(path.join(h.config.runRoot, 'runtime', 'crun')), []);
    for (const id of [old, fresh]) assert.deepEqual(await cgroupsLeft(id), []);
  });
});
