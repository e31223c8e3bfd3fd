// Issue "Networking": the network service can die and come back without disturbing running
// containers or duplicating a rule; berth's chains are repaired when flushed; many container
// cycles across networks, and the stack's teardown, leave no veth, netns, bridge, rule or row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '@berth/kit';
import { defaultChainPrefix } from '@berth/network';
import { httpRequest } from '@berth/fixtures';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth } from './harness/cli.js';
import { api } from './harness/api.js';
import { footprint, httpdCommand, ownLinks, ownRules, until } from './harness/net.js';

/** The issue asks for 300; at ~4 in flight this takes about a minute here (see test/README). */
const CYCLES = 300;
const CONCURRENCY = 4;

let s: TestStack;
let published = '';
let rulesWithK1: string[] = [];
const ok = async (args: string[]) => {
  const r = await berth(s.socket, args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
};
const answers = () => httpRequest(`http://${published}/`, { timeoutMs: 2000 }).then((r) => r.body.toString().trim(), () => '');
const sorted = (l: string[]) => [...l].sort();

before(async () => {
  s = await startTestStack();
  await ok(['pull', s.busybox]);
});
after(async () => {
  if (!s) return;
  await s.stop();
  assert.deepEqual(await ownLinks(s), [], 'stop() leaves no bridge or veth of the stack');
  assert.deepEqual(await ownRules(s), [], 'stop() leaves no chain, jump or rule of the stack');
});

test('killing the network service leaves running containers alone; its restart reconciles without duplicating a rule', async () => {
  await ok(['network', 'create', 'keep']);
  await ok(['run', '-d', '--name', 'k1', '--network', 'keep', '-p', '127.0.0.1:0:80', s.busybox, ...httpdCommand('hello-k1')]);
  published = await ok(['port', 'k1', '80']);
  await until('k1 answers', answers, (b) => b === 'hello-k1');
  const pid = JSON.parse(await ok(['inspect', 'k1']))[0].State.Pid;
  rulesWithK1 = sorted(await ownRules(s));
  const links = await ownLinks(s);

  await s.kill('network', 'SIGKILL');
  assert.equal(await answers(), 'hello-k1', 'the published port works with the network service down');
  await s.restart('network');
  assert.deepEqual(sorted(await ownRules(s)), rulesWithK1, 'the same rules, none twice');
  const rules = await ownRules(s);
  assert.equal(new Set(rules).size, rules.length);
  assert.deepEqual(await ownLinks(s), links);
  assert.equal(await answers(), 'hello-k1');
  const [info] = JSON.parse(await ok(['inspect', 'k1']));
  assert.equal(info.State.Pid, pid);
  const [net] = JSON.parse(await ok(['network', 'inspect', 'keep']));
  assert.ok(info.Id in net.Containers, 'the endpoint is still known');
});

test('berth\'s own chains are repaired after `iptables -F` and a deleted jump', async () => {
  const prefix = defaultChainPrefix(s.stack.config.network.bridgeName);
  await runCommand('iptables', ['-w', '-t', 'nat', '-F', `${prefix}-OUTPUT`]);
  await runCommand('iptables', ['-w', '-t', 'filter', '-F', `${prefix}-FORWARD`]);
  await runCommand('iptables', ['-w', '-t', 'nat', '-D', 'POSTROUTING', '-j', `${prefix}-POSTROUTING`]);
  await until('the rules back', async () => sorted(await ownRules(s)), (r) => JSON.stringify(r) === JSON.stringify(rulesWithK1));
  assert.equal(await until('k1 answers again', answers, (b) => b === 'hello-k1'), 'hello-k1');
});

/** One container's life through the Engine API: create (on a network, some with a port), start, wait, remove. */
async function cycle(i: number, networks: string[]): Promise<void> {
  const name = `cyc${i}`;
  const body = {
    Image: s.busybox,
    Cmd: ['true'],
    HostConfig: { NetworkMode: networks[i % networks.length], ...(i % 2 === 0 && { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } }) },
  };
  const created = await api(s.socket, 'POST', `/containers/create?name=${name}`, body);
  assert.equal(created.status, 201, created.text);
  if (i % 5 !== 4) {
    // Every fifth is removed without ever running: nothing was set up for it.
    assert.equal((await api(s.socket, 'POST', `/containers/${name}/start`)).status, 204);
    assert.equal((await api(s.socket, 'POST', `/containers/${name}/wait`)).status, 200);
  }
  const removed = await api(s.socket, 'DELETE', `/containers/${name}?force=1`);
  assert.equal(removed.status, 204, removed.text);
}

test(`${CYCLES} create/run/rm cycles across 3 networks, then removing the networks, leave nothing behind`, async () => {
  await ok(['rm', '-f', 'k1']);
  await ok(['network', 'rm', 'keep']);
  const baseline = await footprint(s);
  assert.deepEqual(baseline.veths, []);
  assert.deepEqual(baseline.rows, { networks: 0, sandboxes: 0, endpoints: 0, ports: 0 });
  const networks = ['cy-a', 'cy-b', 'cy-c'];
  for (const n of networks) await ok(['network', 'create', n]);
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < CYCLES) await cycle(next++, networks);
  }));
  const seconds = (Date.now() - started) / 1000;
  // Rows and rules go with each teardown; the kernel removes netns and veths just after (in the background).
  const during = await until('netns and veths gone', () => footprint(s), (f) => f.veths.length === 0 && f.netns.length === 0);
  assert.deepEqual(during.veths, []);
  assert.deepEqual(during.netns, []);
  assert.deepEqual(during.rows, { networks: 3, sandboxes: 0, endpoints: 0, ports: 0 });
  assert.equal(during.bridges.length, 4);
  for (const n of networks) await ok(['network', 'rm', n]);
  const end = await footprint(s);
  assert.deepEqual({ ...end, rules: sorted(end.rules) }, { ...baseline, rules: sorted(baseline.rules) }, `after ${CYCLES} cycles in ${seconds.toFixed(0)} s`);
});
