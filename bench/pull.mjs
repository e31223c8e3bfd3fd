// bench/pull: pull of a ~210 MB image (busybox + 5 layers of 40 MiB incompressible data, gzip) from
// a loopback docker-registry into an EMPTY store: berth (PullImage on the image service: download +
// verify + unpack) vs `skopeo copy … oci:` (download + verify, no unpack) vs `podman pull` (when
// installed). Runs are interleaved (berth, skopeo, podman, berth, …) so that load from other work on
// the machine hits all three alike; one warm-up round first puts the registry's blobs in the page
// cache. The bench raises its priority (nice -10) when it may. Prints wall-time medians, CPU-time medians (user+sys of berth's registry and image services;
// of skopeo's / podman's processes) and the ratios.
// Usage: node bench/pull.mjs [runs] [--only berth] [--threads] [--profile DIR]   (from the repo root, as root, after
// `npm run build`). --only runs one contender; --profile writes CPU profiles of the main threads of
// berth's registry and image services to DIR (bench/cpu-profile-hook.cjs), for chrome://inspect;
// --threads prints berth's CPU medians per thread name (main, and all others: libuv pool, V8 helpers, unpack workers).
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createClient } from '@berth/kit';
import { image as imageApi } from '@berth/proto';
import { startStack } from '@berth/deploy';
import { busyboxImage, pushImage, startRegistry } from '@berth/fixtures';

const argv = process.argv.slice(2);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const runs = Number(argv.find((a) => /^\d+$/.test(a)) ?? 5);
const only = option('--only');
const threadsOpt = argv.includes('--threads');
const profileDir = option('--profile') && path.resolve(option('--profile'));
if (profileDir) mkdirSync(profileDir, { recursive: true });
// Other work on a shared machine swamps a 2-CPU pull: raise this process's priority (inherited by
// berth's services, skopeo and podman alike) when allowed to.
try {
  os.setPriority(-10);
} catch {
  console.log('(running at normal priority: not allowed to raise it)');
}
const MiB = 1024 * 1024;
const root = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-pull-'));
const env = {
  PATH: process.env.PATH,
  BERTH_STATE_ROOT: path.join(root, 'state'),
  BERTH_RUN_ROOT: path.join(root, 'run'),
  BERTH_LOG_LEVEL: 'warn',
  BERTH_CONFIG: path.join(root, 'none.toml'),
};
const podmanConf = ['/etc/containers/containers.conf.d/berth-bench-pull.conf', '/etc/containers/registries.conf.d/berth-bench-pull.conf'];
const hasPodman = spawnSync('podman', ['--version']).status === 0;

const registry = await startRegistry();
const big = await busyboxImage({
  format: 'docker',
  extraLayers: [1, 2, 3, 4, 5].map((n) => (l) => l.randomFile(`data/blob${n}`, 40 * MiB, `bench-${n}`)),
});
let stack;
try {
  await pushImage(registry.host, 'big', 'latest', big);
  const ref = `${registry.host}/big:latest`;
  const total = big.layers.reduce((a, l) => a + l.size, 0);
  console.log(`image ${ref}: ${big.layers.length} layers, ${(total / 1e6).toFixed(1)} MB compressed; ${runs} runs each, interleaved`);
  const profiled = { NODE_OPTIONS: `--require ${path.join(import.meta.dirname, 'cpu-profile-hook.cjs')}`, BERTH_PROFILE_DIR: profileDir };
  stack = await startStack({ env, detached: false, only: ['registry', 'image'], ...(profileDir && { perService: { registry: profiled, image: profiled } }) });
  const client = createClient(imageApi.ImagesService, stack.config.addresses.image);
  const contentDir = path.join(stack.config.stateRoot, 'image/content/blobs/sha256');
  const services = stack.processes.filter((p) => p.name === 'image' || p.name === 'registry');
  const servicePids = services.map((p) => p.pid);

  const contenders = {
    // berth: timed around one PullImage stream (the gRPC client is already connected).
    berth: {
      async prepare() {
        await client.removeImage({ reference: ref, force: true, noPrune: false }).catch(() => undefined);
        await client.pruneImages({ all: true, filters: [] });
        if (readdirSync(contentDir).length !== 0) throw new Error(`berth store not empty: ${contentDir}`);
      },
      async run() {
        const cpu0 = servicePids.map(cpuMs);
        const threads0 = threadsOpt && servicePids.map(threadCpuMs);
        const t0 = performance.now();
        for await (const _ of client.pullImage({ reference: ref })) void _;
        const wall = performance.now() - t0;
        const each = servicePids.map((pid, i) => cpuMs(pid) - cpu0[i]);
        const threads = threadsOpt && servicePids.map((pid, i) => threadDelta(threads0[i], threadCpuMs(pid)));
        return { wall, cpu: each.reduce((a, b) => a + b, 0), each, threads };
      },
    },
    'skopeo copy oci:': command(
      () => rmSync(path.join(root, 'skopeo-oci'), { recursive: true, force: true }),
      'skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${path.join(root, 'skopeo-oci')}:latest`],
    ),
  };
  if (hasPodman && (!only || 'podman pull'.startsWith(only))) {
    configurePodman(registry.host);
    const podman = ['--root', path.join(root, 'podman/root'), '--runroot', path.join(root, 'podman/run'), '--storage-driver', 'overlay'];
    contenders['podman pull'] = command(() => spawnSync('podman', [...podman, 'rmi', '-a', '-f'], { stdio: 'ignore' }), 'podman', [...podman, 'pull', '-q', ref]);
  } else {
    console.log('podman is not installed: `apt-get install -y podman` to compare with it');
  }

  if (only) for (const name of Object.keys(contenders)) if (!name.startsWith(only)) delete contenders[name];
  const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let round = 0; round <= runs; round++) {
    for (const [name, c] of Object.entries(contenders)) {
      await c.prepare();
      execFileSync('sync');
      const r = await c.run();
      if (round > 0) results[name].push(r); // round 0 warms up
    }
  }
  if (contenders.berth) await contenders.berth.prepare();
  client.close();

  console.log(`\npull of ${(total / 1e6).toFixed(0)} MB (${big.layers.length} layers) into an empty store`);
  console.log('name'.padEnd(20) + 'wall median ms'.padStart(16) + 'cpu median ms'.padStart(16) + '   wall runs');
  for (const [name, rs] of Object.entries(results)) {
    const line = rs.map((r) => r.wall.toFixed(0)).join(' ');
    console.log(name.padEnd(20) + median(rs.map((r) => r.wall)).toFixed(0).padStart(16) + median(rs.map((r) => r.cpu)).toFixed(0).padStart(16) + `   ${line}`);
  }
  if (results.berth) {
    console.log(`berth cpu medians: ${services.map((p, i) => `${p.name} ${median(results.berth.map((r) => r.each[i])).toFixed(0)} ms`).join(', ')} (image includes its unpack workers)`);
  }
  if (results.berth && threadsOpt) {
    for (const [i, p] of services.entries()) {
      const names = [...new Set(results.berth.flatMap((r) => Object.keys(r.threads[i])))];
      console.log(`  ${p.name} threads: ${names.map((n) => `${n} ${median(results.berth.map((r) => r.threads[i][n] ?? 0)).toFixed(0)}`).join(', ')} ms`);
    }
  }
  const b = results.berth && median(results.berth.map((r) => r.wall));
  for (const peer of ['skopeo copy oci:', 'podman pull']) {
    if (results[peer] && b) console.log(`berth / ${peer}: ${(b / median(results[peer].map((r) => r.wall))).toFixed(2)}× wall`);
  }
  console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
} finally {
  await stack?.stop();
  await registry.stop();
  await big.dispose();
  for (const f of podmanConf) rmSync(f, { force: true });
  spawnSync('umount', ['-R', '-l', root]);
  rmSync(root, { recursive: true, force: true });
}

/** A peer run as a child process; its CPU time is what the kernel accounts to waited-for children. */
function command(prepare, binary, args) {
  return {
    async prepare() {
      prepare();
    },
    async run() {
      const cpu0 = childrenCpuMs();
      const t0 = performance.now();
      const r = spawnSync(binary, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      const wall = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${binary} ${args.join(' ')}: exit ${r.status}`);
      return { wall, cpu: childrenCpuMs() - cpu0 };
    },
  };
}

/** utime+stime of a process, in ms (from /proc, in clock ticks of 10 ms). */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** CPU ms per thread of a process, by thread id (with its name), from /proc/<pid>/task. */
function threadCpuMs(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Node names no thread (all are "node"): the main thread and the rest (libuv pool, V8, workers).
      const name = tid === String(pid) ? 'main' : 'other';
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(tid, { name, ms: (Number(f[11]) + Number(f[12])) * 10 });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** Per-thread-name CPU ms between two threadCpuMs snapshots (new threads count from 0). */
function threadDelta(before, after) {
  const byName = {};
  for (const [tid, t] of after) byName[t.name] = (byName[t.name] ?? 0) + t.ms - (before.get(tid)?.ms ?? 0);
  return byName;
}

function childrenCpuMs() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** ANCHORS.md: runc, ulimits within the inherited hard limits, the loopback registry insecure. */
function configurePodman(host) {
  for (const f of podmanConf) mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(podmanConf[0], '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n\n[engine]\nruntime = "runc"\n');
  writeFileSync(podmanConf[1], `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
}
