/**
 * Measures create+start+wait of `true` through the gRPC API against `runc run` of the same
 * bundle (same config.json, same overlay rootfs). Run: node services/runtime/dist/testing/measure-run.js
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '@berth/kit';
import { RuntimeHarness } from './runtime-harness.js';

const N = 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const h = await RuntimeHarness.create();
try {
  const berth: number[] = [];
  let last = '';
  for (let i = 0; i < N + 2; i++) {
    const t0 = performance.now();
    const id = await h.run({ cmd: ['true'] });
    const { exitCode } = await h.client.waitContainer({ id, condition: '' });
    const ms = performance.now() - t0;
    if (exitCode !== 0) throw new Error(`exit ${exitCode}`);
    if (i >= 2) berth.push(ms); // the first runs warm caches
    last = id;
  }
  // The same bundle for runc run: the last container's config.json over a fresh overlay snapshot.
  const bundle = path.join(h.root, 'runc-bundle');
  await mkdir(path.join(bundle, 'rootfs'), { recursive: true });
  const spec = JSON.parse(await readFile(path.join(h.config.stateRoot, 'runtime', 'containers', last, 'config.json'), 'utf8'));
  const [mount] = await h.images.prepareSnapshot('bench');
  await runCommand('mount', ['-t', 'overlay', '-o', mount!.options.join(','), 'overlay', path.join(bundle, 'rootfs')]);
  for (const f of ['hostname', 'hosts', 'resolv.conf']) await copyFile(path.join(h.config.stateRoot, 'runtime', 'containers', last, f), path.join(bundle, f));
  spec.root.path = path.join(bundle, 'rootfs');
  for (const m of spec.mounts) if (m.source?.includes(last)) m.source = path.join(bundle, path.basename(m.source));
  const runc: number[] = [];
  try {
    for (let i = 0; i < N + 2; i++) {
      spec.linux.cgroupsPath = `/berth/bench-${i}`;
      await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
      const t0 = performance.now();
      await runCommand('runc', ['--root', path.join(h.root, 'bench-runc'), 'run', '--bundle', bundle, `bench-${i}`]);
      if (i >= 2) runc.push(performance.now() - t0);
    }
  } finally {
    await runCommand('umount', [path.join(bundle, 'rootfs')]);
  }
  console.log(`create+start+wait of true over gRPC: median ${median(berth).toFixed(1)} ms (min ${Math.min(...berth).toFixed(1)}, max ${Math.max(...berth).toFixed(1)})`);
  console.log(`runc run of the same bundle:          median ${median(runc).toFixed(1)} ms (min ${Math.min(...runc).toFixed(1)}, max ${Math.max(...runc).toFixed(1)})`);
} finally {
  await h.cleanup();
}
