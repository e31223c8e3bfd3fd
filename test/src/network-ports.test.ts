// Issue "Networking": published ports (TCP, UDP, -P) reach containers from the host's loopback;
// ps, inspect and `port` show the chosen host ports; an --internal network has no way out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpRequest } from '@berth/fixtures';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth } from './harness/cli.js';
import { api } from './harness/api.js';
import { httpdCommand, runIn, until } from './harness/net.js';

const UDP_ECHO = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send('echo:' + m, r.port, r.address));
s.bind(53, () => console.log('ready'));`;

/** One datagram to the host's loopback port; the answer, or '' after half a second. */
function udpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => (sock.close(), resolve('')), 500);
    sock.on('message', (m) => (clearTimeout(timer), sock.close(), resolve(m.toString())));
    sock.send(text, port, '127.0.0.1');
  });
}

let s: TestStack;
const ok = async (args: string[]) => {
  const r = await berth(s.socket, args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
};
const get = (url: string) => httpRequest(url, { timeoutMs: 3000 }).then((r) => r.body.toString().trim(), (err: Error) => `error: ${err.message}`);

before(async () => {
  s = await startTestStack();
  await ok(['pull', s.busybox]);
});
after(async () => {
  await s?.stop();
});

test('-p 127.0.0.1:0:80 publishes busybox httpd on a free loopback port; ps, inspect and port show it', async () => {
  await ok(['run', '-d', '--name', 'pub', '-p', '127.0.0.1:0:80', s.busybox, ...httpdCommand('hello-pub')]);
  const hostSide = await ok(['port', 'pub', '80']);
  assert.match(hostSide, /^127\.0\.0\.1:\d+$/);
  assert.equal(await until('the published port', () => get(`http://${hostSide}/`), (b) => b === 'hello-pub'), 'hello-pub');
  assert.equal(await ok(['port', 'pub']), `80/tcp -> ${hostSide}`);
  const ps = await ok(['ps', '--format', '{{.Names}} {{.Ports}}']);
  assert.match(ps, new RegExp(`^pub ${hostSide.replace(/\./g, '\\.')}->80/tcp$`, 'm'));
  const [info] = JSON.parse(await ok(['inspect', 'pub']));
  assert.deepEqual(info.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: hostSide.split(':')[1] }] });
  assert.equal(info.HostConfig.PortBindings['80/tcp'][0].HostPort, '0', 'the request is kept as asked');
  assert.match(info.NetworkSettings.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(info.NetworkSettings.Gateway, /^\d+\.\d+\.\d+\.1$/);
  await ok(['stop', '-t', '0', 'pub']);
  assert.notEqual(await get(`http://${hostSide}/`), 'hello-pub', 'the mapping goes with the container');
  const [stopped] = JSON.parse(await ok(['inspect', 'pub']));
  assert.deepEqual(stopped.NetworkSettings.Ports, {});
  assert.equal(await ok(['port', 'pub']), '');
});

test('a published UDP port reaches the container (a UDP echo in its network namespace answers)', async () => {
  // Debian's static busybox has no UDP nc: the echo is node, run by the test inside the container's netns.
  await ok(['run', '-d', '--name', 'udp', '-p', '127.0.0.1:0:53/udp', s.busybox, 'sleep', '300']);
  const [, port] = (await ok(['port', 'udp', '53/udp'])).split(':');
  const netns = JSON.parse(await ok(['inspect', 'udp']))[0].NetworkSettings.SandboxKey as string;
  const echo = spawn('nsenter', [`--net=${netns}`, process.execPath, '-e', UDP_ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(echo.stdout!, 'data');
    const answer = await until('the echo', () => udpAsk(Number(port), 'over-udp'), (a) => a === 'echo:over-udp');
    assert.equal(answer, 'echo:over-udp');
  } finally {
    echo.kill();
  }
});

test('-P publishes every exposed port of the container on a free host port', async () => {
  const created = await api(s.socket, 'POST', '/containers/create?name=all', {
    Image: s.busybox,
    Cmd: httpdCommand('hello-all'),
    ExposedPorts: { '80/tcp': {}, '8081/udp': {} },
    HostConfig: { PublishAllPorts: true },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal((await api(s.socket, 'POST', '/containers/all/start')).status, 204);
  const lines = (await ok(['port', 'all'])).split('\n');
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /^80\/tcp -> 0\.0\.0\.0:\d+$/);
  assert.match(lines[1]!, /^8081\/udp -> 0\.0\.0\.0:\d+$/);
  const port = lines[0]!.split(':')[1];
  assert.equal(await until('-P port', () => get(`http://127.0.0.1:${port}/`), (b) => b === 'hello-all'), 'hello-all');
});

test('an --internal network has no egress; a normal network reaches the host', async () => {
  // A server of the test's own on the default bridge's gateway address (on this host).
  const [bridge] = JSON.parse(await ok(['network', 'inspect', 'bridge']));
  const gateway = bridge.IPAM.Config[0].Gateway as string;
  const server = http.createServer((_, res) => res.end('from-host\n'));
  await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
  const url = `http://${gateway}:${(server.address() as AddressInfo).port}/`;
  try {
    await ok(['network', 'create', 'outside']);
    await ok(['network', 'create', '--internal', 'sealed']);
    const [sealed] = JSON.parse(await ok(['network', 'inspect', 'sealed']));
    assert.equal(sealed.Internal, true);
    const normal = await runIn(s, ['--network', 'outside', s.busybox, 'wget', '-qO-', url]);
    assert.match(normal.out, /from-host/);
    const blocked = await runIn(s, ['--network', 'sealed', s.busybox, 'sh', '-c', `timeout 5 wget -qO- ${url} 2>/dev/null || echo no-egress; ip route`]);
    assert.match(blocked.out, /no-egress/);
    assert.doesNotMatch(blocked.out, /from-host|default via/);
  } finally {
    server.close();
  }
});
