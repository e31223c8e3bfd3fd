import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { network } from '@berth/proto';
import { startHarness, TEST_OCTETS, type Harness } from './testing/harness.js';
import { canConnect, execIn, makeOutsideHost, nslookup, startHttpd, wget, type Background, type OutsideHost } from './testing/netns-tools.js';

const id = (c: string) => c.repeat(64);

/** A DNS query over TCP from inside a netns (busybox nslookup only speaks UDP): prints the last A record. */
const tcpDns = (name: string, server: string) => `
const labels = ${JSON.stringify(name)}.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
const q = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
const s = require('node:net').connect(53, ${JSON.stringify(server)}, () => s.write(Buffer.concat([Buffer.from([0, q.length]), q])));
s.on('data', (b) => { console.log([...b.subarray(b.length - 4)].join('.')); s.end(); });`;
const addr = (ep: network.Endpoint | undefined) => ep!.ipv4Address.split('/')[0]!;

/**
 * "Containers" as sandboxes with busybox inside (nsenter): reachability, isolation, internal
 * networks, egress NAT, and the embedded DNS — on real bridges, veths and iptables (root).
 */
describe('sandboxes', () => {
  let h: Harness;
  let outside: OutsideHost;
  const servers: Background[] = [];
  const sb: Record<string, network.SetupSandboxResponse> = {};

  const setup = async (key: string, name: string, net: string, aliases: string[] = []) => {
    sb[key] = await h.client.setupSandbox({
      containerId: id(key), containerName: `/${name}`, hostname: name, ports: [],
      endpoints: [{ network: net, aliases, ipv4Address: '' }],
    });
    return sb[key]!;
  };

  before(async () => {
    h = await startHarness(TEST_OCTETS.sandboxes, { 'outside.example': '10.251.99.99' });
    const create = (name: string, third: number, internal = false) =>
      h.client.createNetwork({
        name, driver: 'bridge', internal, checkDuplicate: true, options: {}, labels: {},
        ipam: [{ subnet: h.ip(third, 0) + '/24', gateway: '', ipRange: '' }],
      });
    await create('appnet', 1);
    await create('othernet', 2);
    await create('secret', 3, true);
    await setup('a', 'web', 'appnet', ['www']);
    await setup('b', 'client', 'appnet');
    await setup('c', 'stranger', 'othernet');
    await setup('d', 'vault', 'secret');
    servers.push(await startHttpd(sb.a!.netnsPath, path.join(h.dir.path, 'www-a'), 'hello-web'));
    outside = await makeOutsideHost(h.dir.path, 'outside', h.ip(250, 0));
    servers.push(await startHttpd(outside.netns, path.join(h.dir.path, 'www-out'), 'hello-outside'));
  });

  after(async () => {
    for (const s of servers) await s.stop();
    await outside?.remove();
    await h?.cleanup();
    if (h) assert.deepEqual(await h.leftovers(), []);
  });

  it('gives each sandbox an address, a MAC from it, a default route and the embedded DNS server', async () => {
    const ep = sb.a!.endpoints[0]!;
    assert.equal(ep.ipv4Address, h.ip(1, 2) + '/24');
    assert.equal(ep.macAddress, `02:42:0a:${(h.octet).toString(16)}:01:02`);
    assert.deepEqual(sb.a!.dnsServers, [h.ip(1, 1)]);
    assert.deepEqual(sb.a!.hosts, [`${h.ip(1, 2)}\tweb`]);
    const routes = (await execIn(sb.a!.netnsPath, ['ip', 'route'])).stdout;
    assert.match(routes, new RegExp(`default via ${h.ip(1, 1).replace(/\./g, '\\.')} dev eth0`));
  });

  it('two sandboxes on one network reach each other and resolve names, aliases and short ids', async () => {
    const dns = sb.b!.dnsServers[0]!;
    assert.equal(await wget(sb.b!.netnsPath, addr(sb.a!.endpoints[0]), 80), 'hello-web');
    for (const name of ['web', 'WWW', 'web.appnet', id('a').slice(0, 12)]) {
      assert.deepEqual(await nslookup(sb.b!.netnsPath, name, dns), [h.ip(1, 2)], name);
    }
    assert.deepEqual(await nslookup(sb.a!.netnsPath, 'client', dns), [h.ip(1, 3)]);
    const ptr = await execIn(sb.b!.netnsPath, ['/bin/busybox', 'nslookup', h.ip(1, 2), dns]);
    assert.match(ptr.stdout, /name = web\.appnet/);
    const overTcp = await execIn(sb.b!.netnsPath, [process.execPath, '-e', tcpDns('www', dns)]);
    assert.equal(overTcp.stdout.trim(), h.ip(1, 2), 'DNS over TCP');
  });

  it('forwards other names to the host resolvers', async () => {
    assert.deepEqual(await nslookup(sb.b!.netnsPath, 'outside.example', sb.b!.dnsServers[0]!), ['10.251.99.99']);
    assert.ok(h.upstream.queries.includes('outside.example'));
  });

  it('isolates networks: no traffic, no names', async () => {
    assert.equal(await canConnect(sb.c!.netnsPath, h.ip(1, 2), 80), false);
    assert.deepEqual(await nslookup(sb.c!.netnsPath, 'web', sb.c!.dnsServers[0]!), []);
  });

  it('reaches the outside through NAT, except from an internal network', async () => {
    assert.equal(await wget(sb.b!.netnsPath, outside.ip, 80), 'hello-outside', 'outside has no route back: only NAT makes this work');
    assert.doesNotMatch((await execIn(sb.d!.netnsPath, ['ip', 'route'])).stdout, /default/);
    assert.equal(await canConnect(sb.d!.netnsPath, outside.ip, 80), false);
    assert.equal(await canConnect(sb.d!.netnsPath, h.ip(1, 2), 80), false);
    assert.deepEqual(await nslookup(sb.d!.netnsPath, 'vault', sb.d!.dnsServers[0]!), [h.ip(3, 2)], 'DNS still works on-link');
    const before = h.upstream.queries.length;
    assert.deepEqual(await nslookup(sb.d!.netnsPath, 'outside.example', sb.d!.dnsServers[0]!), [], 'no forwarding out of an internal network');
    assert.equal(h.upstream.queries.length, before);
  });

  it('resolves names on the default bridge too', async () => {
    await setup('e', 'bee', 'bridge');
    await setup('f', 'wasp', 'bridge');
    assert.deepEqual(await nslookup(sb.f!.netnsPath, 'bee', sb.f!.dnsServers[0]!), [addr(sb.e!.endpoints[0])]);
    await h.client.teardownSandbox({ containerId: id('e') });
    await h.client.teardownSandbox({ containerId: id('f') });
  });

  it('connects a running sandbox to another network and disconnects it', async () => {
    const { endpoint } = await h.client.connectContainer({
      containerId: id('c'), containerName: '/stranger', endpoint: { network: 'appnet', aliases: ['guest'], ipv4Address: h.ip(1, 50) },
    });
    assert.equal(endpoint!.interface, 'eth1');
    assert.equal(endpoint!.ipv4Address, h.ip(1, 50) + '/24');
    assert.equal(await wget(sb.c!.netnsPath, h.ip(1, 2), 80), 'hello-web');
    assert.deepEqual(await nslookup(sb.c!.netnsPath, 'web', sb.c!.dnsServers[0]!), [h.ip(1, 2)], 'asked on othernet, answered for appnet');
    assert.deepEqual(await nslookup(sb.a!.netnsPath, 'guest', sb.a!.dnsServers[0]!), [h.ip(1, 50)]);
    await assert.rejects(
      h.client.connectContainer({ containerId: id('c'), containerName: '/stranger', endpoint: { network: 'appnet', aliases: [], ipv4Address: '' } }),
      { kind: 'permission_denied' },
    );
    await assert.rejects(
      h.client.setupSandbox({ containerId: id('x'), containerName: '/x', hostname: 'x', ports: [], endpoints: [{ network: 'appnet', aliases: [], ipv4Address: h.ip(1, 50) }] }),
      { kind: 'failed_precondition', message: /Address already in use/ },
    );
    const ev = await h.events.waitFor((e) => e.Action === 'connect' && e.Actor.Attributes.container === id('c') && e.Actor.Attributes.name === 'appnet');
    assert.equal(ev.Type, 'network');
    await h.client.disconnectContainer({ containerId: id('c'), network: 'appnet', force: false });
    assert.doesNotMatch((await execIn(sb.c!.netnsPath, ['ip', '-o', 'link'])).stdout, /eth1/);
    assert.equal(await canConnect(sb.c!.netnsPath, h.ip(1, 2), 80), false);
    await h.events.waitFor((e) => e.Action === 'disconnect' && e.Actor.Attributes.container === id('c'));
  });
});
