// bench/run-latency: start+exit of `true` in busybox with --network none, image present: berth
// (through the stock docker CLI and through its own CLI) beside its peers — raw `runc run` of an
// equivalent bundle (umoci unpack of the same image), dockerd 20.10 (Debian docker.io, its own
// containerd) and podman 4.3 (runc, configured as ANCHORS.md says). Runs are interleaved (one of
// each per round) so load from other work on the machine hits all alike. Prints medians and the
// ratios the issue targets (berth ≤ 0.33× dockerd, ≤ 0.5× podman); asserts nothing. Leaves nothing
// behind: the peers' bridges, iptables chains and rules are put back as they were.
// Usage: node bench/run-latency.mjs [runs]      (from the repo root, as root, after `npm run build`)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxImage, writeOciLayout } from '@berth/fixtures';
import { benchStack } from './lib.mjs';
import { dockerArchive, firewallSnapshot, restoreHost, startDockerd, startPodman } from './peers.mjs';
import { unmountUnder } from './lib.mjs';

const runs = Number(process.argv[2] ?? 30);
const WARMUP = 3;
const DOCKER_CLI = '/usr/local/bin/docker';
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-run-'));
const host = firewallSnapshot();
const stops = [];

/** Wall time of one command, ms; throws with its output when it fails. */
function timeRun(cmd, args, env = { PATH: process.env.PATH }) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The image as a runc bundle: umoci unpack, `true`, Docker's namespaces, no rlimits (no CAP_SYS_RESOURCE here). */
async function runcBundle(image) {
  await writeOciLayout(path.join(work, 'layout'), image, 'latest');
  execFileSync('umoci', ['unpack', '--image', `${path.join(work, 'layout')}:latest`, path.join(work, 'bundle')], { stdio: 'ignore' });
  const file = path.join(work, 'bundle', 'config.json');
  const cfg = JSON.parse(readFileSync(file, 'utf8'));
  cfg.process.args = ['true'];
  cfg.process.terminal = false;
  cfg.linux.namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }];
  delete cfg.process.rlimits;
  writeFileSync(file, JSON.stringify(cfg));
  return path.join(work, 'bundle');
}

try {
  const b = await benchStack();
  stops.push(() => b.stop());
  const berthEnv = { PATH: process.env.PATH, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: path.join(work, 'berth-cli') };
  timeRun(DOCKER_CLI, ['pull', '-q', b.busybox], berthEnv);
  // The peers get the same busybox, as an OCI image (umoci and skopeo's oci: read only OCI manifests).
  const oci = await busyboxImage();
  const bundle = await runcBundle(oci);
  const archive = await dockerArchive(oci, path.join(work, 'archive'), 'busybox:latest');
  await oci.dispose();
  const cli = path.resolve('gateway/dist/cli/main.js');
  let n = 0;
  const contenders = {
    'runc run': () => timeRun('runc', ['--root', path.join(work, 'runc'), 'run', '--bundle', bundle, `bench-${n++}`]),
    'berth (docker CLI)': () => timeRun(DOCKER_CLI, ['run', '--rm', '--network', 'none', b.busybox, 'true'], berthEnv),
    'berth (berth CLI)': () => timeRun(process.execPath, [cli, 'run', '--rm', '--network', 'none', b.busybox, 'true'], { ...berthEnv, BERTH_HOST: `unix://${b.socket}` }),
  };
  try {
    const docker = await startDockerd(path.join(work, 'docker'), archive);
    stops.push(() => docker.stop());
    contenders.dockerd = () => timeRun(docker.cli, ['run', '--rm', '--network', 'none', 'busybox', 'true'], docker.env);
  } catch (err) {
    console.log(`dockerd: not measured (${err.message})`);
  }
  if (spawnSync('podman', ['--version']).status === 0) {
    const podman = await startPodman(path.join(work, 'podman'), archive);
    stops.push(() => podman.stop());
    contenders.podman = () => timeRun('podman', [...podman.args, 'run', '--rm', '--pull', 'never', '--network', 'none', 'busybox', 'true']);
  } else {
    console.log('podman: not measured (apt-get install podman)');
  }

  const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let i = 0; i < WARMUP + runs; i++) {
    for (const [name, run] of Object.entries(contenders)) {
      const ms = run();
      if (i >= WARMUP) times[name].push(ms);
    }
  }
  const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const load = os.loadavg()[0].toFixed(1);
  console.log(`\nrun-latency: start+exit of \`true\`, --network none, image present; ${runs} interleaved runs each (after ${WARMUP} warm-up rounds), load ${load}`);
  const ratio = (a, base) => (base ? `${(a / base).toFixed(2)}×` : 'n/a');
  console.log('name'.padEnd(22) + 'median ms'.padStart(11) + '   vs runc' + '   vs dockerd' + '   vs podman');
  for (const [name, m] of Object.entries(medians)) {
    console.log(name.padEnd(22) + m.toFixed(1).padStart(11) + ratio(m, medians['runc run']).padStart(10)
      + ratio(m, medians.dockerd).padStart(13) + ratio(m, medians.podman).padStart(12));
  }
  console.log('targets: berth ≤ 0.33× dockerd, ≤ 0.5× podman');
} finally {
  for (const stop of stops.reverse()) await stop().catch((err) => console.error(`cleanup: ${err.message}`));
  unmountUnder(work); // the peers' storage leaves mounts (podman binds its overlay dir onto itself)
  rmSync(work, { recursive: true, force: true });
  restoreHost(host);
}
