import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { until } from '../testing/until.js';

const MiB = 1024 * 1024;
/** The container's cgroup file as the host sees it (cgroup v1 / hybrid). */
const host = (controller: string, id: string, file: string) =>
  readFile(`/sys/fs/cgroup/${controller}/berth/${id}/${file}`, 'utf8').then((t) => t.trim(), () => undefined);

describe('resource limits in the cgroup, inside and outside (real runc)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
  });
  after(async () => {
    await h?.cleanup();
  });

  it('sets memory, swap, cpus, shares, cpuset, pids and blkio weight', async () => {
    const id = await h.run({
      cmd: ['sleep', '300'],
      resources: { memory: 64 * MiB, memorySwap: 96 * MiB, nanoCpus: 0.5e9, cpuShares: 512, cpusetCpus: '0', pidsLimit: 30, blkioWeight: 300 },
    });
    const inside = async (file: string) => (await h.exec(id, ['cat', `/sys/fs/cgroup/${file}`])).stdout.trim();
    const expect: Array<[string, string, string]> = [
      ['memory', 'memory.limit_in_bytes', String(64 * MiB)],
      ['memory', 'memory.memsw.limit_in_bytes', String(96 * MiB)],
      ['cpu', 'cpu.cfs_quota_us', '50000'],
      ['cpu', 'cpu.cfs_period_us', '100000'],
      ['cpu', 'cpu.shares', '512'],
      ['cpuset', 'cpuset.cpus', '0'],
      ['pids', 'pids.max', '30'],
      ['blkio', (await host('blkio', id, 'blkio.weight')) === undefined ? 'blkio.bfq.weight' : 'blkio.weight', '300'],
    ];
    for (const [controller, file, value] of expect) {
      assert.equal(await host(controller, id, file), value, `host ${controller}/${file}`);
      assert.equal(await inside(`${controller}/${file}`), value, `inside ${controller}/${file}`);
    }
    await h.client.removeContainer({ id, force: true, removeVolumes: false });
  });

  it('OOM-kills a memory hog: exit 137, OOMKilled, an oom event', async () => {
    const id = await h.run({ cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], resources: { memory: 16 * MiB, memorySwap: 16 * MiB } });
    assert.equal((await h.client.waitContainer({ id, condition: '' })).exitCode, 137);
    const c = (await h.client.getContainer({ id })).container!;
    assert.equal(c.state!.oomKilled, true);
    const actions = h.events.events.filter((e) => e.Actor.ID === id).map((e) => e.Action);
    assert.deepEqual(actions.slice(-2), ['oom', 'die']);
  });

  it('stops a fork bomb at the pids limit', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'bomb() { bomb | bomb & }; bomb; sleep 300'], resources: { pidsLimit: 20 } });
    const refused = async () => Number(await host('pids', id, 'pids.events').then((t) => /max (\d+)/.exec(t ?? '')?.[1])) > 0;
    await until('the bomb hits the limit', refused, 60_000);
    assert.ok(Number(await host('pids', id, 'pids.current')) <= 20, 'never more tasks than the limit');
    assert.equal(await host('pids', id, 'pids.max'), '20');
    await h.client.removeContainer({ id, force: true, removeVolumes: false });
    assert.equal(await host('pids', id, 'pids.current'), undefined, 'the cgroup is gone');
  });

  it('applies ulimits at or below the host\'s hard limits, and refuses higher ones', async () => {
    const limits = await readFile('/proc/self/limits', 'utf8');
    const hard = Number(/Max open files\s+\S+\s+(\S+)/.exec(limits)![1]);
    const id = await h.run({ cmd: ['sh', '-c', 'ulimit -n; ulimit -Hn'], ulimits: [{ name: 'nofile', soft: 512, hard: 1024 }] });
    await h.client.waitContainer({ id, condition: '' });
    assert.equal(await h.logs(id), '512\n1024\n');
    const exec = await h.exec((await h.run({ cmd: ['sleep', '60'], ulimits: [{ name: 'nofile', soft: 256, hard: 256 }] })), ['sh', '-c', 'ulimit -n']);
    assert.equal(exec.stdout, '256\n', 'execs get the container\'s ulimits');
    if (Number.isFinite(hard)) {
      await assert.rejects(h.create({ cmd: ['true'], ulimits: [{ name: 'nofile', soft: hard + 1, hard: hard + 1 }] }), /above this host's limit/);
    }
    await assert.rejects(h.create({ cmd: ['true'], ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] }), /soft limit must be less than or equal/);
    await assert.rejects(h.create({ cmd: ['true'], ulimits: [{ name: 'bogus', soft: 1, hard: 1 }] }), /invalid ulimit type/);
  });
});
