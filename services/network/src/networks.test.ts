import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '@berth/kit';
import { startHarness, TEST_OCTETS, type Harness } from './testing/harness.js';

/** Network CRUD over gRPC against real bridges (root). */
describe('networks', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(TEST_OCTETS.networks);
  });
  after(async () => {
    await h?.cleanup();
    if (h) assert.deepEqual(await h.leftovers(), []);
  });

  const addrOf = async (dev: string) => {
    const { stdout } = await runCommand('ip', ['-json', '-4', 'addr', 'show', 'dev', dev]);
    return (JSON.parse(stdout) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>)[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`);
  };

  it('has the predefined networks, and they cannot be removed', async () => {
    const { networks } = await h.client.listNetworks({ filters: [] });
    assert.deepEqual(networks.map((n) => [n.name, n.driver]).sort(), [['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]);
    const bridge = networks.find((n) => n.name === 'bridge')!;
    assert.equal(bridge.bridge, h.bridgeName);
    assert.deepEqual(bridge.ipam, [{ subnet: h.ip(0, 0) + '/24', gateway: h.ip(0, 1), ipRange: '' }]);
    assert.deepEqual(await addrOf(h.bridgeName), [`${h.ip(0, 1)}/24`]);
    await assert.rejects(h.client.removeNetwork({ id: 'bridge' }), {
      kind: 'permission_denied', message: 'bridge is a pre-defined network and cannot be removed',
    });
    await assert.rejects(h.client.removeNetwork({ id: 'host' }), { kind: 'permission_denied' });
  });

  it('creates a network with subnet, gateway, ip-range, labels and options, and finds it', async () => {
    const { network: n } = await h.client.createNetwork({
      name: 'front', driver: 'bridge', internal: false, checkDuplicate: true,
      ipam: [{ subnet: h.ip(1, 0) + '/24', gateway: h.ip(1, 254), ipRange: h.ip(1, 128) + '/25' }],
      options: { 'com.docker.network.driver.mtu': '1400' }, labels: { tier: 'web' },
    });
    assert.equal(n!.bridge, `br-${n!.id.slice(0, 12)}`);
    assert.deepEqual(await addrOf(n!.bridge), [`${h.ip(1, 254)}/24`]);
    for (const ref of [n!.id, n!.id.slice(0, 7), 'front']) {
      assert.equal((await h.client.getNetwork({ id: ref })).network!.id, n!.id);
    }
    await assert.rejects(h.client.getNetwork({ id: 'nope' }), { kind: 'not_found', message: 'network nope not found' });
    const created = await h.events.waitFor((e) => e.Action === 'create' && e.Actor.ID === n!.id);
    assert.deepEqual(created.Actor.Attributes, { name: 'front', type: 'bridge' });
    const sb = await h.client.setupSandbox({
      containerId: 'c'.repeat(64), containerName: '/c', hostname: 'c', ports: [],
      endpoints: [{ network: 'front', aliases: [], ipv4Address: '' }],
    });
    assert.equal(sb.endpoints[0]!.ipv4Address, `${h.ip(1, 128)}/24`, 'dynamic addresses come from the ip-range');
    const { stdout } = await runCommand('nsenter', [`--net=${sb.netnsPath}`, 'ip', '-o', 'link', 'show', 'eth0']);
    assert.match(stdout, /mtu 1400/);
    await assert.rejects(h.client.removeNetwork({ id: 'front' }), {
      kind: 'failed_precondition', message: `error while removing network: network front id ${n!.id} has active endpoints`,
    });
    await h.client.teardownSandbox({ containerId: 'c'.repeat(64) });
  });

  it('refuses duplicates, overlaps, bad drivers and bad addresses', async () => {
    const base = { driver: '', internal: false, checkDuplicate: true, options: {}, labels: {} };
    await assert.rejects(h.client.createNetwork({ ...base, name: 'front', ipam: [] }), { kind: 'already_exists' });
    await assert.rejects(h.client.createNetwork({ ...base, name: 'x1', ipam: [{ subnet: h.ip(1, 0) + '/25', gateway: '', ipRange: '' }] }), {
      kind: 'permission_denied', message: /Pool overlaps/,
    });
    await assert.rejects(h.client.createNetwork({ ...base, name: 'x2', driver: 'overlay', ipam: [] }), { kind: 'not_found' });
    await assert.rejects(h.client.createNetwork({ ...base, name: 'x3', driver: 'host', ipam: [] }), { kind: 'permission_denied' });
    await assert.rejects(h.client.createNetwork({ ...base, name: 'x4', ipam: [{ subnet: '10.1.0.0/24', gateway: '10.2.0.1', ipRange: '' }] }), {
      kind: 'invalid_argument',
    });
    await assert.rejects(h.client.createNetwork({ ...base, name: 'bad name', ipam: [] }), { kind: 'invalid_argument' });
  });

  it('allocates subnets automatically, clear of other networks', async () => {
    const a = (await h.client.createNetwork({ name: 'auto1', driver: '', internal: true, checkDuplicate: false, ipam: [], options: {}, labels: { temp: '1' } })).network!;
    const b = (await h.client.createNetwork({ name: 'auto2', driver: '', internal: false, checkDuplicate: false, ipam: [], options: {}, labels: { temp: '1' } })).network!;
    assert.equal(a.ipam[0]!.subnet, h.ip(128, 0) + '/24');
    assert.equal(b.ipam[0]!.subnet, h.ip(129, 0) + '/24');
    assert.equal(a.internal, true);
  });

  it('lists with filters', async () => {
    const names = async (filters: Array<{ key: string; values: string[] }>) =>
      (await h.client.listNetworks({ filters })).networks.map((n) => n.name).sort();
    assert.deepEqual(await names([{ key: 'name', values: ['auto'] }]), ['auto1', 'auto2']);
    assert.deepEqual(await names([{ key: 'label', values: ['tier=web'] }]), ['front']);
    assert.deepEqual(await names([{ key: 'driver', values: ['null', 'host'] }]), ['host', 'none']);
    assert.deepEqual(await names([{ key: 'type', values: ['custom'] }]), ['auto1', 'auto2', 'front']);
    await assert.rejects(h.client.listNetworks({ filters: [{ key: 'color', values: ['red'] }] }), { kind: 'invalid_argument' });
  });

  it('prunes unused networks by label, and removes by name', async () => {
    const { deleted } = await h.client.pruneNetworks({ filters: [{ key: 'label', values: ['temp'] }] });
    assert.deepEqual(deleted.sort(), ['auto1', 'auto2']);
    const front = (await h.client.getNetwork({ id: 'front' })).network!;
    await h.client.removeNetwork({ id: 'front' });
    assert.ok(!(await runCommand('ip', ['-o', 'link'])).stdout.includes(front.bridge), 'bridge device removed');
    await h.events.waitFor((e) => e.Action === 'destroy' && e.Actor.ID === front.id);
    assert.deepEqual((await h.client.listNetworks({ filters: [] })).networks.map((n) => n.name).sort(), ['bridge', 'host', 'none']);
  });
});
