import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand, type RunResult } from '@berth/kit';
import { waitUntil } from '@berth/fixtures';
import { NetnsFiles } from '../kernel/netns.js';

/** Runs argv inside a netns file and waits for it; never throws (the exit code is the answer). */
export async function execIn(netns: string, argv: string[], timeoutMs = 15_000): Promise<RunResult> {
  return runCommand('nsenter', [`--net=${netns}`, '--', ...argv], { timeoutMs, okCodes: Array.from({ length: 256 }, (_, i) => i) });
}

export interface Background {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts argv inside a netns file, in the background (a server in a "container"). */
export function spawnIn(netns: string, argv: string[]): Background {
  const child = spawn('nsenter', [`--net=${netns}`, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** busybox httpd serving `body` on port 80 inside the netns; resolves once it answers there. */
export async function startHttpd(netns: string, dir: string, body: string): Promise<Background> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'index.html'), body);
  const bg = spawnIn(netns, ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', dir]);
  await waitUntil(async () => (await wget(netns, '127.0.0.1', 80)).includes(body), {
    what: `httpd in ${netns}`,
    abort: () => (bg.child.exitCode !== null ? `httpd exited: ${bg.output()}` : undefined),
  });
  return bg;
}

/** busybox wget (numeric address, explicit port: static busybox cannot load NSS). */
export async function wget(netns: string, ip: string, port: number): Promise<string> {
  const r = await execIn(netns, ['/bin/busybox', 'wget', '-qO-', `http://${ip}:${port}/`]);
  return r.code === 0 ? r.stdout : '';
}

/** Can a TCP connection be made within about a second? (busybox nc -w 1). */
export async function canConnect(netns: string, ip: string, port: number): Promise<boolean> {
  const r = await execIn(netns, ['/bin/busybox', 'nc', '-w', '1', ip, String(port)]);
  return r.code === 0;
}

/** busybox nslookup against a given server: the addresses it printed after "Name:". */
export async function nslookup(netns: string, name: string, server: string): Promise<string[]> {
  const r = await execIn(netns, ['/bin/busybox', 'nslookup', '-type=a', name, server], 10_000);
  const lines = r.stdout.split('\n');
  const start = lines.findIndex((l) => /^Name:/.test(l.trim()));
  if (start < 0) return [];
  return lines.slice(start).map((l) => /^Address(?: \d+)?:\s*([\d.]+)/.exec(l.trim())?.[1]).filter((x): x is string => !!x);
}

/**
 * An "outside" host: a netns the test owns, joined to the host by a veth pair with a /30 (host
 * side `.1`, outside `.2`). Traffic to it stays on this machine.
 */
export interface OutsideHost {
  netns: string;
  hostIp: string;
  ip: string;
  remove(): Promise<void>;
}

export async function makeOutsideHost(dir: string, name: string, base: string): Promise<OutsideHost> {
  const files = new NetnsFiles(dir);
  const netns = path.join(dir, name);
  const [a, b, c] = base.split('.');
  const hostIp = `${a}.${b}.${c}.1`;
  const ip = `${a}.${b}.${c}.2`;
  await files.create(netns, ['ip', 'link', 'set', 'lo', 'up']);
  const hostIf = `${name.slice(0, 10)}h`;
  await runCommand('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await runCommand('ip', ['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
  await runCommand('ip', ['link', 'set', hostIf, 'up']);
  await execIn(netns, ['ip', 'addr', 'add', `${ip}/30`, 'dev', 'eth0']);
  await execIn(netns, ['ip', 'link', 'set', 'eth0', 'up']);
  return {
    netns, hostIp, ip,
    async remove() {
      if (existsSync(`/sys/class/net/${hostIf}`)) await runCommand('ip', ['link', 'del', hostIf]);
      await files.remove(netns);
    },
  };
}
