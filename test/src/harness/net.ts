import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '@berth/kit';
import { defaultChainPrefix, instanceTag } from '@berth/network';
import type { TestStack } from './stack.js';
import { berth } from './cli.js';

/**
 * What one stack's network service has made on the host, found the way an operator would look:
 * `ip -o link` (its links carry the alias `berth:<tag>:…`), `iptables-save` (its chains are named
 * after its bridge), its netns directory and its database (sqlite3, read-only).
 */
export interface NetworkFootprint {
  bridges: string[];
  veths: string[];
  netns: string[];
  rules: string[];
  /** Rows: user networks, sandboxes, endpoints (= IPAM), ports. */
  rows: { networks: number; sandboxes: number; endpoints: number; ports: number };
}

export async function ownLinks(s: TestStack): Promise<Array<{ name: string; kind: 'br' | 'ep' }>> {
  const prefix = `berth:${instanceTag(s.stack.config.stateRoot)}:`;
  const { stdout } = await runCommand('ip', ['-o', 'link', 'show']);
  const out: Array<{ name: string; kind: 'br' | 'ep' }> = [];
  for (const line of stdout.split('\n')) {
    const alias = /\balias (\S+)/.exec(line)?.[1];
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (!alias?.startsWith(prefix) || !name) continue;
    out.push({ name, kind: alias.slice(prefix.length).startsWith('br:') ? 'br' : 'ep' });
  }
  return out;
}

/** Every iptables-save line that names one of the stack's chains (definitions, jumps, rules). */
export async function ownRules(s: TestStack): Promise<string[]> {
  const prefix = `${defaultChainPrefix(s.stack.config.network.bridgeName)}-`;
  const { stdout } = await runCommand('iptables-save', []);
  return stdout.split('\n').filter((l) => l.includes(prefix));
}

export async function dbRows(s: TestStack): Promise<NetworkFootprint['rows']> {
  const db = path.join(s.stack.config.stateRoot, 'network', 'network.db');
  const sql = [
    'SELECT count(*) FROM networks WHERE predefined = 0',
    'SELECT count(*) FROM sandboxes',
    'SELECT count(*) FROM endpoints',
    'SELECT count(*) FROM ports',
  ].join('; ');
  const { stdout } = await runCommand('sqlite3', ['-readonly', db, sql]);
  const [networks = 0, sandboxes = 0, endpoints = 0, ports = 0] = stdout.trim().split('\n').map(Number);
  return { networks, sandboxes, endpoints, ports };
}

export async function footprint(s: TestStack): Promise<NetworkFootprint> {
  const links = await ownLinks(s);
  const netnsDir = path.join(s.stack.config.runRoot, 'netns');
  return {
    bridges: links.filter((l) => l.kind === 'br').map((l) => l.name).sort(),
    veths: links.filter((l) => l.kind === 'ep').map((l) => l.name).sort(),
    netns: await readdir(netnsDir).catch(() => []),
    rules: await ownRules(s),
    rows: await dbRows(s),
  };
}

/** Polls until `fn` holds (no fixed sleeps); throws with the last value seen. */
export async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** `berth run --rm …` and its output; fails the test on a non-zero exit unless `allowFailure`. */
export async function runIn(s: TestStack, args: string[], opts: { allowFailure?: boolean } = {}): Promise<{ code: number; out: string }> {
  const r = await berth(s.socket, ['run', '--rm', ...args], { timeoutMs: 60_000 });
  if (r.code !== 0 && !opts.allowFailure) throw new Error(`berth run ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return { code: r.code, out: r.stdout + r.stderr };
}

/** A busybox httpd serving `text` at / on port 80, in the foreground (the container's main process). */
export function httpdCommand(text: string): string[] {
  return ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];
}

/** The container's address on a network (inspect), without the prefix. */
export async function addressOn(s: TestStack, container: string, network: string): Promise<string> {
  const r = await berth(s.socket, ['inspect', '--type', 'container', container]);
  const [info] = JSON.parse(r.stdout) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
  const ip = info?.NetworkSettings.Networks[network]?.IPAddress;
  if (!ip) throw new Error(`${container} has no address on ${network}: ${r.stdout}`);
  return ip;
}
