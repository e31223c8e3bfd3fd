// bench/density: 50 detached `sleep 3600` containers (--network none, image present), started one
// after another with the stock docker CLI: the wall time of that loop for berth and for dockerd
// 20.10 (and podman 4.3), then the memory of each per-container helper — PSS from
// /proc/PID/smaps_rollup 5 s after the last start: berth's conmon, dockerd's
// containerd-shim-runc-v2, podman's conmon — and the daemons' RSS. Each engine is warmed up first
// with 3 containers, started and removed. Targets: berth's loop ≤ 0.3×
// dockerd's, conmon PSS ≤ 0.5 MB. Asserts nothing; removes every container and puts the host back.
// Usage: node bench/density.mjs [containers]    (from the repo root, as root, after `npm run build`)
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { busyboxImage } from '@berth/fixtures';
import { benchStack } from './lib.mjs';
import { dockerArchive, firewallSnapshot, restoreHost, startDockerd, startPodman } from './peers.mjs';
import { unmountUnder } from './lib.mjs';

const COUNT = Number(process.argv[2] ?? 50);
const DOCKER_CLI = '/usr/local/bin/docker';
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-density-'));
const host = firewallSnapshot();
const stops = [];

function run(cmd, args, env = { PATH: process.env.PATH }) {
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

const WARMUP = 3;

/**
 * Starts COUNT detached sleepers one after another; wall time in s. Each engine first starts and
 * removes WARMUP of them (as run-latency warms up): a daemon that has just started pays one-time
 * costs on its first containers (berth's services compile their code paths on first use), which
 * a long-running daemon does not.
 */
function startMany(cmd, args, env) {
  const ids = [];
  for (let i = 0; i < WARMUP; i++) ids.push(run(cmd, [...args, 'sleep', '3600'], env).trim().split('\n').pop());
  run(cmd, [...args.slice(0, args.indexOf('run')), 'rm', '-f', ...ids], env);
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i++) run(cmd, [...args, 'sleep', '3600'], env);
  return (performance.now() - t0) / 1000;
}

/** Processes whose argv[0] ends with `name` and whose command line contains `needle`. */
function processes(name, needle) {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return (argv[0] ?? '').endsWith(name) && argv.join(' ').includes(needle);
    } catch {
      return false;
    }
  });
}

/** kB from /proc/PID/smaps_rollup (Pss) or /proc/PID/status (VmRSS). */
function kb(pid, file, key) {
  try {
    return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

const median = (xs) => {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
};

try {
  const b = await benchStack();
  stops.push(() => b.stop());
  const berthEnv = { PATH: process.env.PATH, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: path.join(work, 'berth-cli') };
  run(DOCKER_CLI, ['pull', '-q', b.busybox], berthEnv);
  const settle = () => new Promise((r) => setTimeout(r, 5000)); // ANCHORS measures helpers 5 s after start

  const berthSeconds = startMany(DOCKER_CLI, ['run', '-d', '--network', 'none', b.busybox], berthEnv);
  await settle();
  const conmons = processes('conmon', b.root);
  const runtimePid = processes('node', path.join('services', 'runtime')).find((pid) => readFileSync(`/proc/${pid}/environ`, 'utf8').includes(b.root));
  const runtimeRss = runtimePid ? kb(runtimePid, 'status', 'VmRSS') : NaN;
  const berthPss = conmons.map((p) => kb(p, 'smaps_rollup', 'Pss'));
  const berthRss = conmons.map((p) => kb(p, 'status', 'VmRSS'));
  run(DOCKER_CLI, ['rm', '-f', ...run(DOCKER_CLI, ['ps', '-aq'], berthEnv).split('\n').filter(Boolean)], berthEnv);

  const oci = await busyboxImage();
  const archive = await dockerArchive(oci, path.join(work, 'archive'), 'busybox:latest');
  await oci.dispose();
  const peers = [];
  try {
    const docker = await startDockerd(path.join(work, 'docker'), archive);
    stops.push(() => docker.stop());
    const seconds = startMany(docker.cli, ['run', '-d', '--network', 'none', 'busybox'], docker.env);
    await settle();
    const shims = processes('containerd-shim-runc-v2', path.join(work, 'docker'));
    peers.push({ name: 'dockerd', seconds, helper: 'containerd-shim-runc-v2', pss: shims.map((p) => kb(p, 'smaps_rollup', 'Pss')), rss: shims.map((p) => kb(p, 'status', 'VmRSS')) });
    stops.pop();
    await docker.stop().catch((err) => console.error(`dockerd cleanup: ${err.message}`)); // before podman: one peer at a time
  } catch (err) {
    console.log(`dockerd: not measured (${err.message})`);
  }
  if (spawnSync('podman', ['--version']).status === 0) {
    const podman = await startPodman(path.join(work, 'podman'), archive);
    stops.push(() => podman.stop());
    const seconds = startMany('podman', [...podman.args, 'run', '-d', '--pull', 'never', '--network', 'none', 'busybox']);
    await settle();
    const mons = processes('conmon', path.join(work, 'podman'));
    peers.push({ name: 'podman', seconds, helper: 'conmon', pss: mons.map((p) => kb(p, 'smaps_rollup', 'Pss')), rss: mons.map((p) => kb(p, 'status', 'VmRSS')) });
    stops.pop();
    await podman.stop().catch((err) => console.error(`podman cleanup: ${err.message}`));
  }

  const load = os.loadavg()[0].toFixed(1);
  console.log(`\ndensity: ${COUNT} × \`docker run -d --network none busybox sleep 3600\`, one after another; load ${load}`);
  const docker = peers.find((p) => p.name === 'dockerd');
  const podman = peers.find((p) => p.name === 'podman');
  const rows = [{ name: 'berth', seconds: berthSeconds, helper: 'conmon', pss: berthPss, rss: berthRss }, ...peers];
  console.log('name'.padEnd(10) + 'loop s'.padStart(9) + 'vs dockerd'.padStart(12) + 'vs podman'.padStart(11) + '   helper                      PSS MB (median)   RSS MB');
  for (const r of rows) {
    const vs = (p) => (p ? `${(r.seconds / p.seconds).toFixed(2)}×` : 'n/a');
    console.log(r.name.padEnd(10) + r.seconds.toFixed(1).padStart(9) + vs(docker).padStart(12) + vs(podman).padStart(11)
      + `   ${`${r.helper} ×${r.pss.length}`.padEnd(28)}${(median(r.pss) / 1024).toFixed(2).padStart(9)}${(median(r.rss) / 1024).toFixed(2).padStart(15)}`);
  }
  if (runtimePid) console.log(`berth runtime service RSS with ${COUNT} containers: ${(runtimeRss / 1024).toFixed(0)} MB`);
  console.log('targets: berth loop ≤ 0.3× dockerd; conmon PSS ≤ 0.5 MB');
} finally {
  for (const stop of stops.reverse()) await stop().catch((err) => console.error(`cleanup: ${err.message}`));
  unmountUnder(work); // the peers' storage leaves mounts (podman binds its overlay dir onto itself)
  rmSync(work, { recursive: true, force: true });
  restoreHost(host);
}
