// Issue "Networking" with the stock docker CLI (v28) against berth's socket: network verbs,
// run -p, port, --network container:<x>.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { httpRequest } from '@berth/fixtures';
import { startTestStack, type TestStack } from './harness/stack.js';
import { docker, DOCKER_CLI } from './harness/cli.js';
import { httpdCommand, until } from './harness/net.js';

const skip = existsSync(DOCKER_CLI) ? false : `no docker CLI at ${DOCKER_CLI}`;
let s: TestStack;
const ok = async (args: string[]) => {
  const r = await docker(s.socket, args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
};

before(async () => {
  if (skip) return;
  s = await startTestStack();
  await ok(['pull', '-q', s.busybox]);
});
after(async () => {
  await s?.stop();
});

test('docker network create, ls, inspect, connect, disconnect, rm', { skip }, async () => {
  const id = await ok(['network', 'create', '--label', 'team=net', 'dnet']);
  assert.match(id, /^[0-9a-f]{64}$/);
  const ls = await ok(['network', 'ls']);
  assert.match(ls, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/m);
  assert.match(ls, new RegExp(`^${id.slice(0, 12)}\\s+dnet\\s+bridge\\s+local$`, 'm'));
  assert.match(ls, /\sbridge\s+bridge\s+local$/m);
  assert.equal(await ok(['network', 'ls', '-q', '--filter', 'label=team=net']), id.slice(0, 12));
  const [net] = JSON.parse(await ok(['network', 'inspect', 'dnet']));
  assert.equal(net.Id, id);
  assert.equal(net.Driver, 'bridge');
  assert.match(net.IPAM.Config[0].Subnet, /^\d+\.\d+\.\d+\.0\/24$/);
  assert.deepEqual(net.Labels, { team: 'net' });

  await ok(['run', '-d', '--name', 'dc1', '--network', 'dnet', s.busybox, 'sleep', '300']);
  assert.equal(await ok(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}}{{end}}', 'dnet']), 'dc1');
  await ok(['network', 'connect', 'bridge', 'dc1']);
  const alias = await docker(s.socket, ['network', 'connect', '--alias', 'x', 'bridge', 'dc1']);
  assert.match(alias.stderr, /network-scoped alias is supported only for containers in user defined networks/);
  const both = JSON.parse(await ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'dc1']));
  assert.deepEqual(Object.keys(both).sort(), ['bridge', 'dnet']);
  const busy = await docker(s.socket, ['network', 'rm', 'dnet']);
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, /has active endpoints/);
  await ok(['network', 'disconnect', 'dnet', 'dc1']);
  assert.deepEqual(Object.keys(JSON.parse(await ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'dc1']))), ['bridge']);
  assert.equal(await ok(['network', 'rm', 'dnet']), 'dnet');
  assert.doesNotMatch(await ok(['network', 'ls']), /\bdnet\b/);
  const missing = await docker(s.socket, ['network', 'inspect', 'dnet']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /network dnet not found/);
  const predefined = await docker(s.socket, ['network', 'rm', 'bridge']);
  assert.match(predefined.stderr, /bridge is a pre-defined network and cannot be removed/);
  await ok(['rm', '-f', 'dc1']);
});

test('docker run -p and docker port', { skip }, async () => {
  await ok(['run', '-d', '--name', 'dp', '-p', '127.0.0.1::80', s.busybox, ...httpdCommand('hello-dp')]);
  const line = await ok(['port', 'dp']);
  assert.match(line, /^80\/tcp -> 127\.0\.0\.1:\d+$/);
  const url = `http://${line.split(' -> ')[1]}/`;
  const body = await until('the published port', () => httpRequest(url, { timeoutMs: 3000 }).then((r) => r.body.toString(), () => ''), (b) => b.includes('hello-dp'));
  assert.match(body, /hello-dp/);
  assert.match(await ok(['ps', '--format', '{{.Ports}}', '--filter', 'name=dp']), /127\.0\.0\.1:\d+->80\/tcp/);
  await ok(['rm', '-f', 'dp']);
});

test('docker run --network container:<x> shares x\'s network namespace', { skip }, async () => {
  await ok(['run', '-d', '--name', 'base', s.busybox, ...httpdCommand('hello-base')]);
  const out = await ok(['run', '--rm', '--network', 'container:base', s.busybox, 'sh', '-c',
    'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:80/ && break; sleep 0.2; done; hostname']);
  const baseHostname = await ok(['inspect', '-f', '{{.Config.Hostname}}', 'base']);
  assert.deepEqual(out.split('\n'), ['hello-base', baseHostname]);
  const [info] = JSON.parse(await ok(['inspect', 'base']));
  assert.match(info.NetworkSettings.Networks.bridge.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  await ok(['rm', '-f', 'base']);
});
