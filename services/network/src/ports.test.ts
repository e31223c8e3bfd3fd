import { probeBind } from './kernel/port-probe.js';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '@berth/kit';
import { httpRequest, waitUntil } from '@berth/fixtures';
import { network } from '@berth/proto';
import { startHarness, TEST_OCTETS, type Harness } from './testing/harness.js';
import { canConnect, makeOutsideHost, spawnIn, startHttpd, wget, type Background, type OutsideHost } from './testing/netns-tools.js';

const id = (c: string) => c.repeat(64);

const UDP_ECHO = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
s.bind(5353, () => console.log('ready'));`;

function udpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => (sock.close(), reject(new Error('no UDP answer'))), 500);
    sock.on('message', (m) => (clearTimeout(timer), sock.close(), resolve(m.toString())));
    sock.send(text, port, '127.0.0.1');
  });
}

/** Published ports: DNAT from the host's loopback and addresses, UDP, hairpin, conflicts (root). */
describe('published ports', () => {
  let h: Harness;
  let outside: OutsideHost;
  const bg: Background[] = [];
  let web: network.SetupSandboxResponse;
  const hostPort = (hostIp: string, proto = 'tcp') => web.ports.find((p) => p.hostIp === hostIp && p.protocol === proto)!.hostPort;

  before(async () => {
    h = await startHarness(TEST_OCTETS.ports);
    await h.client.createNetwork({
      name: 'pubnet', driver: 'bridge', internal: false, checkDuplicate: true, options: {}, labels: {},
      ipam: [{ subnet: h.ip(1, 0) + '/24', gateway: '', ipRange: '' }],
    });
    web = await h.client.setupSandbox({
      containerId: id('a'), containerName: '/web', hostname: 'web',
      endpoints: [{ network: 'pubnet', aliases: [], ipv4Address: '' }],
      ports: [
        { protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 0 },
        { protocol: '', containerPort: 80, hostIp: '', hostPort: 0 },
        { protocol: 'udp', containerPort: 5353, hostIp: '', hostPort: 0 },
      ],
    });
    bg.push(await startHttpd(web.netnsPath, path.join(h.dir.path, 'www'), 'hello-published'));
    const echo = spawnIn(web.netnsPath, [process.execPath, '-e', UDP_ECHO]);
    bg.push(echo);
    await waitUntil(async () => echo.output().includes('ready'), { what: 'UDP echo server' });
    outside = await makeOutsideHost(h.dir.path, 'client', h.ip(250, 0));
  });

  after(async () => {
    for (const b of bg) await b.stop();
    await outside?.remove();
    await h?.cleanup();
    if (h) assert.deepEqual(await h.leftovers(), []);
  });

  it('picks free host ports and reports them', () => {
    assert.equal(web.ports.length, 3);
    for (const p of web.ports) assert.ok(p.hostPort > 0);
    assert.deepEqual(web.ports.map((p) => [p.protocol, p.hostIp]), [['tcp', '127.0.0.1'], ['tcp', '0.0.0.0'], ['udp', '0.0.0.0']]);
  });

  it('answers on the host loopback', async () => {
    const res = await httpRequest(`http://127.0.0.1:${hostPort('127.0.0.1')}/`, { timeoutMs: 5000 });
    assert.equal(res.body.toString(), 'hello-published');
    assert.equal((await httpRequest(`http://127.0.0.1:${hostPort('0.0.0.0')}/`, { timeoutMs: 5000 })).body.toString(), 'hello-published');
  });

  it('answers an outside client on the host address, but not on a port bound to 127.0.0.1', async () => {
    assert.equal(await wget(outside.netns, outside.hostIp, hostPort('0.0.0.0')), 'hello-published');
    assert.equal(await canConnect(outside.netns, outside.hostIp, hostPort('127.0.0.1')), false);
  });

  it('publishes UDP', async () => {
    let answer = '';
    await waitUntil(async () => (answer = await udpAsk(hostPort('0.0.0.0', 'udp'), 'ping')) !== '', { what: 'UDP echo through DNAT' });
    assert.equal(answer, 'echo:ping');
  });

  it('hairpins: a container reaches its own published port through the gateway', async () => {
    assert.equal(await wget(web.netnsPath, h.ip(1, 1), hostPort('0.0.0.0')), 'hello-published');
  });

  it('refuses a port in use, on the host or by another mapping, and leaves nothing behind', async () => {
    const before = await h.leftovers();
    const rules = (await runCommand('iptables-save', ['-t', 'nat'])).stdout;
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const busy = (holder.address() as { port: number }).port;
    try {
      for (const [hostIp, port] of [['', busy], ['127.0.0.1', busy], ['', hostPort('0.0.0.0')], ['127.0.0.1', hostPort('0.0.0.0')]] as const) {
        const ip = hostIp || '0.0.0.0';
        await assert.rejects(
          h.client.setupSandbox({
            containerId: id('b'), containerName: '/b', hostname: 'b', endpoints: [{ network: 'pubnet', aliases: [], ipv4Address: '' }],
            ports: [{ protocol: 'udp', containerPort: 53, hostIp: '', hostPort: 0 }, { protocol: 'tcp', containerPort: 80, hostIp, hostPort: port }],
          }),
          { kind: 'failed_precondition', message: `Bind for ${ip}:${port} failed: port is already allocated` },
        );
      }
    } finally {
      holder.close();
    }
    assert.equal(existsSync(path.join(h.config.runRoot, 'netns', id('b'))), false);
    assert.deepEqual(await h.leftovers(), before);
    assert.equal((await runCommand('iptables-save', ['-t', 'nat'])).stdout.replace(/^#.*$/gm, ''), rules.replace(/^#.*$/gm, ''));
    assert.equal((await h.client.getNetwork({ id: 'pubnet' })).network!.endpoints.length, 1);
  });

  it('holds the published host ports (nothing else may bind them) until teardown, which is idempotent', async () => {
    const port = hostPort('0.0.0.0');
    const udp = hostPort('0.0.0.0', 'udp');
    await assert.rejects(probeBind('tcp', '0.0.0.0', port), { code: 'EADDRINUSE' });
    await assert.rejects(probeBind('udp', '0.0.0.0', udp), { code: 'EADDRINUSE' });
    await h.client.teardownSandbox({ containerId: id('a') });
    await h.client.teardownSandbox({ containerId: id('a') });
    assert.ok(!(await runCommand('iptables-save', ['-t', 'nat'])).stdout.includes(`--dport ${port} `));
    assert.equal(await probeBind('tcp', '0.0.0.0', port), port, 'released with the mapping');
    assert.equal(await probeBind('udp', '0.0.0.0', udp), udp);
    assert.equal((await h.client.getNetwork({ id: 'pubnet' })).network!.endpoints.length, 0);
  });
});
