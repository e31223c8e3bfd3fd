import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '@berth/kit';
import { httpRequest, waitUntil } from '@berth/fixtures';
import { network } from '@berth/proto';
import { instanceTag } from './index.js';
import { NetnsFiles } from './kernel/netns.js';
import { startHarness, TEST_OCTETS, type Harness } from './testing/harness.js';
import { execIn, nslookup, startHttpd, wget, type Background } from './testing/netns-tools.js';

const id = (c: string) => c.repeat(64);

/** Cycles, reconcile and restart on real kernel objects (root). */
describe('lifecycle and reconcile', () => {
  let h: Harness;
  let httpd: Background | undefined;
  const ourRules = async () =>
    (await runCommand('iptables-save', [])).stdout.split('\n').filter((l) => l.includes(`${h.chainPrefix}-`) && l.startsWith('-A'));
  const ownedVeths = async () => (await runCommand('ip', ['-o', 'link'])).stdout.split('\n').filter((l) => /: bv[0-9a-f]{11}@/.test(l));
  const endpointsOn = async (net: string) => (await h.client.getNetwork({ id: net })).network!.endpoints.length;
  const setup = (c: string, nets: string[], ports: network.PortMapping[] = []) =>
    h.client.setupSandbox({
      containerId: id(c), containerName: `/${c}-name`, hostname: c, ports,
      endpoints: nets.map((n) => ({ network: n, aliases: [], ipv4Address: '' })),
    });

  before(async () => {
    h = await startHarness(TEST_OCTETS.lifecycle);
    for (const [name, third] of [['cyc', 1], ['side', 2]] as const) {
      await h.client.createNetwork({
        name, driver: 'bridge', internal: false, checkDuplicate: true, options: {}, labels: {},
        ipam: [{ subnet: h.ip(third, 0) + '/24', gateway: '', ipRange: '' }],
      });
    }
  });

  after(async () => {
    await httpd?.stop();
    await h?.cleanup();
    if (h) assert.deepEqual(await h.leftovers(), []);
  });

  it('50 setup/teardown cycles leave no veth, netns file, address or duplicated rule', async () => {
    const baseline = await ourRules();
    const veths = await ownedVeths();
    for (let i = 0; i < 50; i++) {
      const r = await setup('c', ['cyc', 'side'], [{ protocol: 'tcp', containerPort: 80, hostIp: '', hostPort: 0 }]);
      assert.equal(r.endpoints[0]!.ipv4Address, h.ip(1, 2) + '/24', 'the freed address is reused');
      await h.client.teardownSandbox({ containerId: id('c') });
    }
    // Teardown frees rows and rules at once; the kernel objects go in the background.
    await waitUntil(async () => JSON.stringify(await ownedVeths()) === JSON.stringify(veths), { what: 'the veths removed' });
    await waitUntil(async () => (await h.leftovers()).every((x) => !x.startsWith('netns') && !x.startsWith('mount')), { what: 'the netns files removed' });
    assert.equal(await endpointsOn('cyc'), 0);
    assert.equal(await endpointsOn('side'), 0);
    const rules = await ourRules();
    assert.deepEqual(rules, baseline);
    assert.equal(new Set(rules).size, rules.length, 'no duplicated lines');
  });

  it('repairs a flushed chain and a duplicated jump, without duplicates', async () => {
    const r = await setup('a', ['cyc'], [{ protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 0 }]);
    httpd = await startHttpd(r.netnsPath, path.join(h.dir.path, 'www'), 'hello-a');
    const url = `http://127.0.0.1:${r.ports[0]!.hostPort}/`;
    assert.equal((await httpRequest(url, { timeoutMs: 5000 })).body.toString(), 'hello-a');
    const want = await ourRules();
    await runCommand('iptables', ['-w', '-t', 'nat', '-F', `${h.chainPrefix}-PREROUTING`]);
    await runCommand('iptables', ['-w', '-t', 'nat', '-F', `${h.chainPrefix}-OUTPUT`]);
    await runCommand('iptables', ['-w', '-t', 'nat', '-I', 'POSTROUTING', '-j', `${h.chainPrefix}-POSTROUTING`]);
    assert.notDeepEqual(await ourRules(), want);
    const report = await h.client.reconcile({});
    assert.deepEqual(report.repaired, ['iptables']);
    assert.deepEqual(await ourRules(), want);
    assert.equal((await httpRequest(url, { timeoutMs: 5000 })).body.toString(), 'hello-a');
    assert.deepEqual(await h.client.reconcile({}), { repaired: [], removed: [] }, 'a second reconcile finds nothing');
  });

  it('re-makes a lost veth and removes orphans of its own', async () => {
    const a = (await h.client.getNetwork({ id: 'cyc' })).network!.endpoints[0]!;
    await runCommand('ip', ['link', 'del', a.hostInterface]);
    const tag = instanceTag(h.config.stateRoot);
    await runCommand('ip', ['link', 'add', 'bvorphan0', 'type', 'veth', 'peer', 'name', 'bvorphan1']);
    await runCommand('ip', ['link', 'set', 'bvorphan0', 'alias', `berth:${tag}:ep:orphan`]);
    await runCommand('ip', ['link', 'add', 'bvforeign0', 'type', 'veth', 'peer', 'name', 'bvforeign1']);
    const netnsDir = path.join(h.config.runRoot, 'netns');
    await new NetnsFiles(netnsDir).create(path.join(netnsDir, 'stray'));
    try {
      const report = await h.client.reconcile({});
      assert.deepEqual(report.repaired, [`endpoint ${id('a').slice(0, 12)} cyc`]);
      assert.deepEqual(report.removed.sort(), ['netns stray', 'veth bvorphan0']);
      assert.match((await runCommand('ip', ['-o', 'link'])).stdout, /bvforeign0/, "another instance's links are left alone");
      assert.equal(await wget(path.join(netnsDir, id('a')), a.ipv4Address.split('/')[0]!, 80), 'hello-a');
    } finally {
      await runCommand('ip', ['link', 'del', 'bvforeign0']);
    }
  });

  it('forgets a sandbox whose netns file vanished', async () => {
    const r = await setup('z', ['side']);
    await new NetnsFiles(path.dirname(r.netnsPath)).remove(r.netnsPath);
    const report = await h.client.reconcile({});
    assert.deepEqual(report.removed, [`sandbox ${id('z')}`]);
    assert.equal(await endpointsOn('side'), 0);
    await h.events.waitFor((e) => e.Action === 'disconnect' && e.Actor.Attributes.container === id('z'));
  });

  it('rolls a failed setup back completely, and reconcile re-makes a lost bridge', async () => {
    const side = (await h.client.getNetwork({ id: 'side' })).network!;
    await runCommand('ip', ['link', 'del', side.bridge]);
    const veths = await ownedVeths();
    await assert.rejects(setup('y', ['cyc', 'side']));
    assert.deepEqual(await ownedVeths(), veths);
    assert.equal(await endpointsOn('cyc'), 1);
    assert.deepEqual(await h.leftovers().then((l) => l.filter((x) => x.includes(id('y')))), []);
    assert.deepEqual((await h.client.reconcile({})).repaired, [`bridge ${side.bridge}`]);
    await setup('y', ['cyc', 'side']);
    await h.client.teardownSandbox({ containerId: id('y') });
  });

  it('keeps sandboxes working across a restart of the service', async () => {
    const a = (await h.client.getNetwork({ id: 'cyc' })).network!.endpoints[0]!;
    const b = await setup('b', ['cyc']);
    const rules = await ourRules();
    await h.stop();
    await h.start();
    assert.deepEqual(await ourRules(), rules);
    assert.equal(await wget(b.netnsPath, a.ipv4Address.split('/')[0]!, 80), 'hello-a');
    assert.deepEqual(await nslookup(b.netnsPath, 'a-name', b.dnsServers[0]!), [a.ipv4Address.split('/')[0]!]);
    assert.equal((await execIn(b.netnsPath, ['ip', '-o', '-4', 'addr', 'show', 'eth0'])).code, 0);
    await h.client.teardownSandbox({ containerId: id('b') });
    await h.client.teardownSandbox({ containerId: id('a') });
  });
});
