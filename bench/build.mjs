// bench/build: a 10-step Dockerfile (busybox base; ENV, WORKDIR, three COPYs of small files, two
// RUNs, LABEL, CMD) built cold (--no-cache: every RUN a container, every step an image) and cached
// (nothing changed: every step a cache hit), by `berth build` against a throwaway stack and by
// `podman build` (Debian podman, when installed) on its own temp store. hyperfine times both in
// one run; the table prints the medians and the ratio to berth.
// The "API" rows send the same request from a minimal node client (what the docker CLI does,
// without berth CLI's start-up), to tell the engine's time from the CLI's; "node start-up" is
// `node -e 0`, the floor under every berth row (on a loaded 2-core host it moves by tens of ms);
// "in-process client" repeats the cached request from this process: the engine's time alone.
// Usage: node bench/build.mjs [runs]      (from the repo root, as root, after `npm run build`)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One POST /build of `ctx` (tarred here), as the docker CLI sends it; resolves when the answer is complete. */
async function postBuild(socketPath, ctx, nocache) {
  const { contextTar } = await import('../gateway/dist/builder/context-tar.js');
  const query = `/build?q=1&networkmode=none&t=bench:berth${nocache ? '&nocache=1' : ''}`;
  const text = await new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'POST', path: query, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let out = '';
      res.on('data', (d) => (out += d));
      res.on('end', () => resolve(out));
    });
    req.on('error', reject);
    contextTar(ctx).pipe(req);
  });
  if (!text.includes('"aux"')) throw new Error(`build failed: ${text}`);
}

if (process.argv[2] === '--post') {
  // node bench/build.mjs --post SOCKET CONTEXT [nocache]: one POST /build.
  const [socketPath, ctx, nocache] = process.argv.slice(3);
  await postBuild(socketPath, ctx, nocache);
  process.exit(0);
}

// Loaded here, not imported at the top: the --post client above must not pay for the stack's modules.
const { benchStack, hyperfine, table } = await import('./lib.mjs');
const runs = Number(process.argv[2] ?? 10);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berthCli = path.join(repo, 'gateway/dist/cli/main.js');
const podmanConf = ['/etc/containers/containers.conf.d/berth-bench-build.conf', '/etc/containers/registries.conf.d/berth-bench-build.conf'];
const hasPodman = spawnSync('podman', ['--version']).status === 0;

const s = await benchStack();
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-build-'));
try {
  const ctx = path.join(work, 'ctx');
  mkdirSync(ctx);
  for (const f of ['a', 'b', 'c']) writeFileSync(path.join(ctx, `${f}.txt`), `${f}\n`.repeat(100));
  writeFileSync(
    path.join(ctx, 'Dockerfile'),
    [
      `FROM ${s.busybox}`,
      'ENV APP=/app',
      'WORKDIR /app',
      'COPY a.txt ./',
      'COPY b.txt ./',
      'RUN echo one > one.txt',
      'COPY c.txt ./',
      'RUN cat a.txt b.txt c.txt > all.txt',
      'LABEL bench=build',
      'CMD ["cat", "/app/all.txt"]',
      '',
    ].join('\n'),
  );
  // BERTH_HOST reaches hyperfine's children through this process's environment.
  process.env.BERTH_HOST = `unix://${s.socket}`;
  const berth = (extra) => `${process.execPath} ${berthCli} build -q --network none ${extra} -t bench:berth ${ctx}`;
  const check = spawnSync(process.execPath, [berthCli, 'build', '-t', 'bench:berth', ctx], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`berth build failed: ${check.stdout}${check.stderr}`);
  const api = (extra) => `${process.execPath} ${fileURLToPath(import.meta.url)} --post ${s.socket} ${ctx} ${extra}`;
  const commands = {
    'berth cold (--no-cache)': berth('--no-cache'),
    'berth cached': berth(''),
    'berth API cold (--no-cache)': api('nocache'),
    'berth API cached': api(''),
    'node start-up (cached floor)': `${process.execPath} -e 0`,
  };

  const podmanArgs = ['--root', path.join(work, 'podman/root'), '--runroot', path.join(work, 'podman/run'), '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  if (hasPodman) {
    configurePodman(s.registry.host);
    const pulled = spawnSync('podman', [...podmanArgs, 'pull', '-q', s.busybox], { encoding: 'utf8' });
    const tried = pulled.status === 0 && spawnSync('podman', [...podmanArgs, 'build', '--network', 'none', '-t', 'bench:podman', ctx], { encoding: 'utf8' });
    if (tried && tried.status === 0) {
      const podman = (extra) => `podman ${podmanArgs.join(' ')} build -q --network none ${extra} -t bench:podman ${ctx}`;
      commands['podman cold (--no-cache)'] = podman('--no-cache');
      commands['podman cached'] = podman('');
    } else {
      console.log(`podman build does not work here, left out: ${(tried ? tried.stderr : pulled.stderr).trim().split('\n').slice(-3).join(' | ')}`);
    }
  } else {
    console.log('podman is not installed: `apt-get install -y podman` to compare with it');
  }

  const medians = hyperfine(commands, { runs, warmup: 1 });
  // The engine alone: cached builds from this process, no process start in the figure.
  const times = [];
  for (let i = 0; i < Math.max(runs, 20); i++) {
    const t0 = performance.now();
    await postBuild(s.socket, ctx, false);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  medians['berth API cached, in-process client'] = { median: times[Math.floor(times.length / 2)] };
  table('cold: 10 steps, 2 RUN containers, 3 COPY layers (ms)', pick(medians, /cold/), 'berth cold (--no-cache)');
  table('cached: 10 steps, all cache hits (ms)', pick(medians, /cached/), 'berth cached');
  for (const [kind, base] of [['cold', 'berth cold (--no-cache)'], ['cached', 'berth cached']]) {
    const peer = `podman ${kind === 'cold' ? 'cold (--no-cache)' : 'cached'}`;
    if (medians[peer]) console.log(`${kind}: podman / berth = ${(medians[peer].median / medians[base].median).toFixed(2)}×`);
  }
} finally {
  if (hasPodman) {
    spawnSync('podman', ['--root', path.join(work, 'podman/root'), '--runroot', path.join(work, 'podman/run'), '--storage-driver', 'overlay', 'system', 'reset', '-f'], { stdio: 'ignore' });
    for (const f of podmanConf) rmSync(f, { force: true });
  }
  spawnSync('umount', ['-R', '-l', path.join(work, 'podman/root/overlay')], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
  await s.stop();
}

function pick(medians, re) {
  return Object.fromEntries(Object.entries(medians).filter(([k]) => re.test(k)));
}

/** As bench/pull: runc, ulimits within the inherited hard limits, the loopback registry insecure. */
function configurePodman(host) {
  for (const f of podmanConf) mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(podmanConf[0], '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n\n[engine]\nruntime = "runc"\n');
  writeFileSync(podmanConf[1], `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
}
