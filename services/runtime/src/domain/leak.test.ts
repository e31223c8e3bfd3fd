import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { mountPoints } from '../oci/rootfs-mounter.js';
import { RuntimeHarness } from '../testing/runtime-harness.js';

const CYCLES = Number(process.env.BERTH_LEAK_CYCLES ?? 1000);
const WORKERS = 4;
const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** Processes whose command line mentions `needle` (conmon, runc, the attach relay ...). */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await entries('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ').slice(0, 120)}`);
  }
  return found;
}

describe(`leaks: ${CYCLES} create/start/wait/remove cycles of true`, { timeout: 480_000 }, () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
  });
  after(async () => {
    await h?.cleanup();
  });

  it('leaves no mounts, cgroups, monitors, files, rows or descriptors', async () => {
    const ids: string[] = [];
    const cycle = async () => {
      const id = await h.run({ cmd: ['true'] });
      ids.push(id);
      assert.equal((await h.client.waitContainer({ id, condition: '' })).exitCode, 0);
      await h.client.removeContainer({ id, force: false, removeVolumes: true });
    };
    for (let i = 0; i < WORKERS; i++) await cycle(); // warm-up: the service's own descriptors settle
    const fdsBefore = (await entries('/proc/self/fd')).length;
    const t0 = Date.now();
    let next = WORKERS;
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (next++ < CYCLES) await cycle();
    }));
    const seconds = (Date.now() - t0) / 1000;
    console.log(`# ${CYCLES} cycles in ${seconds.toFixed(1)} s (${((seconds * 1000) / CYCLES).toFixed(1)} ms per cycle, ${WORKERS} at a time)`);
    assert.equal(ids.length, CYCLES);

    const state = path.join(h.config.stateRoot, 'runtime');
    const run = path.join(h.config.runRoot, 'runtime');
    assert.deepEqual((await h.client.listContainers({ all: true, limit: 0, filters: [] })).containers, [], 'no rows');
    assert.deepEqual((await mountPoints()).filter((m) => m.startsWith(h.root)), [], 'no mounts');
    for (const dir of [path.join(state, 'containers'), path.join(run, 'containers'), path.join(run, 'exits'), path.join(run, 'sockets'),
      path.join(run, 'runc'), path.join(h.images.lower, '..', 'snapshots'), path.join(state, 'volumes')]) {
      assert.deepEqual(await entries(dir), [], `nothing left in ${dir}`);
    }
    const created = new Set(ids);
    for (const controller of await entries('/sys/fs/cgroup')) {
      const left = (await entries(`/sys/fs/cgroup/${controller}/berth`)).filter((d) => created.has(d));
      assert.deepEqual(left, [], `no cgroups left in ${controller}`);
    }
    assert.deepEqual(await processesMentioning(h.root), [], 'no conmon, runtime or relay processes');
    const fdsAfter = (await entries('/proc/self/fd')).length;
    assert.ok(fdsAfter <= fdsBefore + 8, `descriptors: ${fdsBefore} before, ${fdsAfter} after`);
  });
});
