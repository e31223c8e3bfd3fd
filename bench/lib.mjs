// Shared helpers for the benchmarks: a throwaway berth stack with busybox in a local registry,
// hyperfine runs, and the ratio table. Benchmarks print figures; they assert nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { startStack } from '@berth/deploy';
import { purgeNetworkState } from '@berth/network';
import { startRegistry, busyboxImage, pushImage } from '@berth/fixtures';

/** `overrides` replace the stack's BERTH_* settings (bridge name, subnet …). */
export async function benchStack(overrides = {}, stackOptions = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  const env = {
    PATH: process.env.PATH,
    BERTH_STATE_ROOT: path.join(root, 'state'),
    BERTH_RUN_ROOT: path.join(root, 'run'),
    BERTH_CGROUP_PARENT: 'berth-bench',
    BERTH_BRIDGE_NAME: 'berthbench0',
    BERTH_BRIDGE_SUBNET: '10.200.0.0/16', // clear of the service pools (10.201–209), e2e stacks (10.210–249) and network tests (10.25x)
    BERTH_LOG_LEVEL: 'warn',
    BERTH_CONFIG: path.join(root, 'none.toml'),
    ...overrides,
  };
  const registry = await startRegistry();
  const image = await busyboxImage({ format: 'docker' });
  await pushImage(registry.host, 'busybox', 'latest', image);
  const stack = await startStack({ env, detached: false, ...stackOptions });
  return {
    root,
    env,
    registry,
    image,
    stack,
    socket: stack.socket,
    busybox: `${registry.host}/busybox`,
    async stop() {
      await stack.stop();
      await purgeNetworkState(stack.config); // bridges and chains outlive the network service by design
      await registry.stop();
      await image.dispose();
      unmountUnder(root); // a container left running keeps its rootfs mounted (live restore)
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** hyperfine over several named commands in one run; returns medians in ms by name. */
export function hyperfine(commands, { runs = 30, warmup = 3, prepare } = {}) {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-hf-')), 'r.json');
  const args = ['-N', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out, '--style', 'basic'];
  if (prepare) args.push('--prepare', prepare);
  for (const [name, cmd] of Object.entries(commands)) args.push('-n', name, cmd);
  execFileSync('hyperfine', args, { stdio: 'inherit' });
  const results = JSON.parse(readFileSync(out, 'utf8')).results;
  return Object.fromEntries(results.map((r) => [r.command, { median: r.median * 1000, mean: r.mean * 1000, stddev: r.stddev * 1000 }]));
}

export function table(title, medians, base) {
  console.log(`\n${title}`);
  console.log('name'.padEnd(28) + 'median ms'.padStart(12) + `   ratio vs ${base}`);
  for (const [name, r] of Object.entries(medians)) {
    const ratio = medians[base] ? (r.median / medians[base].median).toFixed(2) : 'n/a';
    console.log(name.padEnd(28) + r.median.toFixed(1).padStart(12) + `   ${ratio}×`);
  }
}

/** Lazily unmounts every mount at or under `dir`, deepest first (what a peer's storage left). */
export function unmountUnder(dir) {
  const unescape = (p) => p.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`)).sort().reverse();
  for (const m of points) spawnSync('umount', ['-l', m]);
}
