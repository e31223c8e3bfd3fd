// dockerd as the peer of the API benchmarks: containerd + dockerd on their own roots and sockets
// in a temp dir (nothing of a system Docker is touched), without a bridge or iptables rules
// (the benchmark's containers use --network none); stopped and cleaned afterwards, including a
// docker0 link and DOCKER* iptables chains should this dockerd version make them anyway.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from './http-load.mjs';

async function waitFor(check, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 20; !(await check()); delay = Math.min(delay * 2, 500)) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

export async function startDockerd() {
  for (const bin of ['dockerd', 'containerd']) {
    if (spawnSync('which', [bin]).status !== 0) throw new Error(`${bin} is not installed: apt-get install docker.io`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-dockerd-'));
  const containerdSock = path.join(dir, 'containerd.sock');
  const socket = path.join(dir, 'docker.sock');
  const log = (name) => ['ignore', 'ignore', 'ignore'];
  const containerd = spawn('containerd', ['--address', containerdSock, '--root', path.join(dir, 'containerd-root'), '--state', path.join(dir, 'containerd-state')], { stdio: log('containerd') });
  await waitFor(() => existsSync(containerdSock), 'containerd');
  const dockerd = spawn('dockerd', [
    `--containerd=${containerdSock}`, '-H', `unix://${socket}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'docker.pid'), '--bridge=none', '--iptables=false', '--ip6tables=false',
  ], { stdio: log('dockerd') });
  await waitFor(async () => existsSync(socket) && (await request(socket, 'GET', '/_ping').then((r) => r.status === 200, () => false)), 'dockerd');
  return {
    socket,
    async stop() {
      const list = await request(socket, 'GET', '/containers/json?all=1').catch(() => ({ json: [] }));
      for (const c of list.json ?? []) await request(socket, 'DELETE', `/containers/${c.Id}?force=1`);
      await stopChild(dockerd);
      await stopChild(containerd);
      if (spawnSync('ip', ['link', 'show', 'docker0'], { stdio: 'ignore' }).status === 0) spawnSync('ip', ['link', 'del', 'docker0']);
      for (const table of ['filter', 'nat']) {
        const rules = spawnSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' }).stdout ?? '';
        for (const line of rules.split('\n').filter((l) => /^-A \S+ .*-j DOCKER/.test(l))) spawnSync('iptables', ['-t', table, ...line.replace(/^-A/, '-D').split(' ')]);
        for (const chain of rules.split('\n').filter((l) => /^-N DOCKER/.test(l)).map((l) => l.split(' ')[1])) {
          spawnSync('iptables', ['-t', table, '-F', chain]);
          spawnSync('iptables', ['-t', table, '-X', chain]);
        }
      }
      spawnSync('umount', ['-R', '-l', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
