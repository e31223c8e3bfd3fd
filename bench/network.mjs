// bench/network: `docker run --rm busybox true` on the default bridge network — berth (stock docker
// CLI against berth's socket) vs dockerd 20.10 (Debian docker.io, its own containerd) vs podman 4.3
// (runc, as ANCHORS.md configures it), image present everywhere; berth and dockerd with --network
// none beside them show what the network costs each. Runs are interleaved (berth, dockerd, podman,
// berth, …) so load from other work on the machine hits all alike. Prints medians and ratios;
// asserts nothing. Leaves nothing: docker0/podman0, the peers' iptables chains and rules, FORWARD's
// policy are put back.
// Usage: node bench/network.mjs [runs]      (from the repo root, as root, after `npm run build`)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxImage } from '@berth/fixtures';
import { benchStack } from './lib.mjs';
import { dockerArchive, firewallSnapshot, restoreHost, startDockerd, startPodman } from './peers.mjs';

const runs = Number(process.argv[2] ?? 30);
const WARMUP = 3;
const DOCKER_CLI = '/usr/local/bin/docker';
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-net-'));
const host = firewallSnapshot();
const stops = [];

/** Wall time of one command, ms; throws with its output when it fails. */
function timeRun(cmd, args, env) {
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

try {
  const b = await benchStack({
    BERTH_BRIDGE_NAME: 'berthnb0',
    BERTH_BRIDGE_SUBNET: '10.199.0.0/16',
    BERTH_DNS_UPSTREAMS: '127.0.0.1:9',
  });
  stops.push(() => b.stop());
  const berthEnv = { PATH: process.env.PATH, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: path.join(work, 'berth-cli') };
  timeRun(DOCKER_CLI, ['pull', '-q', b.busybox], berthEnv);

  // The same busybox, as an OCI image (skopeo's oci: transport reads only OCI manifests) → docker-archive.
  const oci = await busyboxImage();
  const archive = await dockerArchive(oci, path.join(work, 'archive'), 'busybox:latest');
  await oci.dispose();
  const contenders = {
    'berth (bridge)': () => timeRun(DOCKER_CLI, ['run', '--rm', b.busybox, 'true'], berthEnv),
    'berth (--network none)': () => timeRun(DOCKER_CLI, ['run', '--rm', '--network', 'none', b.busybox, 'true'], berthEnv),
  };
  try {
    const docker = await startDockerd(path.join(work, 'docker'), archive);
    stops.push(() => docker.stop());
    contenders['dockerd (bridge)'] = () => timeRun(docker.cli, ['run', '--rm', 'busybox', 'true'], docker.env);
    contenders['dockerd (--network none)'] = () => timeRun(docker.cli, ['run', '--rm', '--network', 'none', 'busybox', 'true'], docker.env);
  } catch (err) {
    console.log(`dockerd: not measured (${err.message})`);
  }
  if (spawnSync('podman', ['--version']).status === 0) {
    const podman = await startPodman(path.join(work, 'podman'), archive);
    stops.push(() => podman.stop());
    contenders['podman (bridge)'] = () => timeRun('podman', [...podman.args, 'run', '--rm', '--pull', 'never', 'busybox', 'true']);
  }

  const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let i = 0; i < WARMUP + runs; i++) {
    for (const [name, run] of Object.entries(contenders)) {
      const ms = run();
      if (i >= WARMUP) times[name].push(ms);
    }
  }
  const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log(`\nnetwork: \`docker run --rm busybox true\`, default bridge, image present; ${runs} interleaved runs each (after ${WARMUP} warm-up rounds)`);
  const base = medians['dockerd (bridge)'];
  const podman = medians['podman (bridge)'];
  console.log('name'.padEnd(28) + 'median ms'.padStart(11) + '   vs dockerd' + '   vs podman');
  for (const [name, m] of Object.entries(medians)) {
    const vs = (x) => (x ? `${(m / x).toFixed(2)}×` : 'n/a');
    console.log(name.padEnd(28) + m.toFixed(1).padStart(11) + vs(base).padStart(12) + vs(podman).padStart(12));
  }
  if (base) {
    const cost = (engine) => (medians[`${engine} (bridge)`] - medians[`${engine} (--network none)`]).toFixed(1);
    console.log(`\nwhat the bridge network adds: berth ${cost('berth')} ms, dockerd ${cost('dockerd')} ms`);
    console.log(`target berth ≤ 0.4× dockerd: ${(medians['berth (bridge)'] / base).toFixed(2)}×`);
  }
} finally {
  for (const stop of stops.reverse()) await stop().catch((err) => console.error(`cleanup: ${err.message}`));
  restoreHost(host);
  rmSync(work, { recursive: true, force: true });
}
