// The peers berth is measured against (ANCHORS.md), brought up for one benchmark and taken down
// again without leaving anything on the host: dockerd (+ its own containerd) on private roots and
// sockets, podman on private roots. Both touch the host's network (docker0/podman0, their iptables
// chains, dockerd's FORWARD policy): firewallSnapshot() before and restoreHost() after undo that.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeOciLayout } from '@berth/fixtures';

const DOCKER_CLI = '/usr/local/bin/docker';
const PEER_CHAIN = /^(DOCKER|NETAVARK|CNI-)/;
const PEER_RULE = /\b(docker0|podman0|DOCKER|NETAVARK|CNI-)|172\.17\.|10\.88\./;

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }).toString();
const links = () => new Set(sh('ip', ['-o', 'link', 'show']).split('\n').map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]).filter(Boolean));

/** iptables-save per table: chain policies, user chains, rules. */
function saveTables() {
  const out = {};
  for (const table of ['filter', 'nat']) {
    const text = sh('iptables-save', ['-t', table]);
    out[table] = {
      policies: Object.fromEntries([...text.matchAll(/^:([A-Z]+) (ACCEPT|DROP) /gm)].map((m) => [m[1], m[2]])),
      chains: new Set([...text.matchAll(/^:(\S+) - /gm)].map((m) => m[1])),
      rules: new Set(text.split('\n').filter((l) => l.startsWith('-A '))),
    };
  }
  return out;
}

/** What the host looks like before the peers run: links and firewall. */
export function firewallSnapshot() {
  return { links: links(), tables: saveTables() };
}

/**
 * Removes what the peers added since `before`: their bridges, their rules in built-in chains, their
 * chains; built-in chain policies back as they were. Only peer-named objects are touched.
 */
export function restoreHost(before) {
  for (const name of ['docker0', 'podman0']) if (!before.links.has(name) && links().has(name)) spawnSync('ip', ['link', 'del', name]);
  const now = saveTables();
  for (const table of ['filter', 'nat']) {
    const was = before.tables[table];
    const is = now[table];
    for (const rule of is.rules) {
      const chain = rule.split(' ')[1];
      if (was.rules.has(rule) || PEER_CHAIN.test(chain) || !PEER_RULE.test(rule)) continue;
      spawnSync('iptables', ['-w', '-t', table, '-D', ...rule.slice(3).match(/(?:[^\s"]+|"[^"]*")+/g).map((t) => t.replace(/^"|"$/g, ''))]);
    }
    const added = [...is.chains].filter((c) => !was.chains.has(c) && PEER_CHAIN.test(c));
    for (const c of added) spawnSync('iptables', ['-w', '-t', table, '-F', c]);
    for (const c of added) spawnSync('iptables', ['-w', '-t', table, '-X', c]);
    for (const [chain, policy] of Object.entries(was.policies)) {
      if (is.policies[chain] !== policy) spawnSync('iptables', ['-w', '-t', table, '-P', chain, policy]);
    }
  }
}

async function waitFor(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopProcess(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => (clearTimeout(t), resolve()));
    child.kill('SIGTERM');
  });
}

/** A docker-archive of a fixture image, named `name` (skopeo from an OCI layout). */
export async function dockerArchive(image, dir, name) {
  await writeOciLayout(path.join(dir, 'layout'), image, 'latest');
  const file = path.join(dir, 'image.tar');
  sh('skopeo', ['copy', '-q', `oci:${path.join(dir, 'layout')}:latest`, `docker-archive:${file}:${name}`]);
  return file;
}

/**
 * dockerd (Debian docker.io 20.10) with its own containerd, all roots and sockets under `dir`;
 * `archive` loaded. Refuses to run beside another dockerd (they would share docker0).
 */
export async function startDockerd(dir, archive) {
  if (spawnSync('pgrep', ['-x', 'dockerd']).status === 0) throw new Error('another dockerd is running: not starting one beside it');
  mkdirSync(dir, { recursive: true });
  const ctrdSock = path.join(dir, 'containerd.sock');
  const sock = path.join(dir, 'docker.sock');
  const quiet = { stdio: ['ignore', 'ignore', 'ignore'], env: { PATH: process.env.PATH } };
  const containerd = spawn('containerd', ['--address', ctrdSock, '--root', path.join(dir, 'containerd'), '--state', path.join(dir, 'containerd-state')], quiet);
  await waitFor('containerd', () => existsSync(ctrdSock));
  const dockerd = spawn('dockerd', [
    `--containerd=${ctrdSock}`, '-H', `unix://${sock}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'dockerd.pid'),
  ], quiet);
  const env = { PATH: process.env.PATH, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(dir, 'cli') };
  await waitFor('dockerd', () => spawnSync(DOCKER_CLI, ['version'], { env }).status === 0);
  sh(DOCKER_CLI, ['load', '-q', '-i', archive], { env });
  return {
    env,
    cli: DOCKER_CLI,
    async stop() {
      spawnSync(DOCKER_CLI, ['rm', '-f', ...sh(DOCKER_CLI, ['ps', '-aq'], { env }).split('\n').filter(Boolean)], { env });
      await stopProcess(dockerd);
      await stopProcess(containerd);
      spawnSync('umount', ['-R', '-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const PODMAN_CONF = '/etc/containers/containers.conf.d/berth-bench-network.conf';

/**
 * podman (Debian 4.3, netavark) on private roots, configured as ANCHORS.md says: runc, and ulimits
 * within what a process without CAP_SYS_RESOURCE may set. `archive` loaded.
 */
export async function startPodman(dir, archive) {
  mkdirSync(dir, { recursive: true });
  mkdirSync(path.dirname(PODMAN_CONF), { recursive: true });
  writeFileSync(PODMAN_CONF, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n');
  const args = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run')];
  sh('podman', [...args, 'load', '-q', '-i', archive]);
  return {
    args,
    async stop() {
      spawnSync('podman', [...args, 'rm', '-af']);
      rmSync(PODMAN_CONF, { force: true });
      spawnSync('umount', ['-R', '-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
