import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BerthError, errorKind, silentLogger } from '@berth/kit';
import { ContainerDb } from '../store/container-db.js';
import { emptySpec, Status, ZERO_TIME, type Container } from './container.js';
import type { RuntimeContext } from './context.js';
import { KeyedMutex } from './keyed-mutex.js';
import { connectNetwork, disconnectNetwork, initialNetworks } from './network-attach.js';
import type { NetworkAttachment } from './network-attachments.js';
import type { NetworkSandbox } from './ports.js';
import { networkFor, releaseNetwork, retryDeferredTeardowns } from './sandbox.js';

/** A network service stand-in: three networks; it records calls; `down` makes it unavailable. */
class FakeNetworks implements NetworkSandbox {
  calls: string[] = [];
  down = false;
  private readonly nets = [
    { id: 'b'.repeat(64), name: 'bridge', driver: 'bridge' },
    { id: 'a'.repeat(64), name: 'app', driver: 'bridge' },
    { id: 'c'.repeat(64), name: 'host', driver: 'host' },
  ];
  async resolve(ref: string) {
    const n = this.nets.find((x) => x.name === ref || x.id.startsWith(ref));
    if (!n) throw new BerthError('not_found', `network ${ref} not found`);
    return n;
  }
  async setup(c: Container) {
    this.calls.push(`setup ${c.networks.map((a) => a.config.network).join(',')}`);
    const endpoints = c.networks.map((a, i) => ({ networkId: a.networkId, endpoint: { ipv4Address: `10.0.${i}.2/24`, gateway: `10.0.${i}.1`, macAddress: 'm', interface: `eth${i}` } }));
    return { netnsPath: '/run/x', dnsServers: ['10.0.0.1'], dnsSearch: [], hosts: [], endpoints, ports: [{ containerPort: '80/tcp', hostIp: '0.0.0.0', hostPort: '32768' }] };
  }
  async teardown(c: Container) {
    if (this.down) throw new BerthError('unavailable', 'network service unavailable');
    this.calls.push(`teardown ${c.name}`);
  }
  async connect(c: Container, a: NetworkAttachment) {
    this.calls.push(`connect ${c.name} ${a.config.network}`);
    return { ipv4Address: '10.9.0.2/24', gateway: '10.9.0.1', macAddress: 'm', interface: 'eth1' };
  }
  async disconnect(c: Container, networkId: string) {
    this.calls.push(`disconnect ${c.name} ${networkId.slice(0, 1)}`);
  }
}

describe('container networks (attachments, connect, sandbox records)', () => {
  let dir: string;
  let db: ContainerDb;
  const net = new FakeNetworks();
  let ctx: RuntimeContext;
  const store = async (name: string, status: Container['state']['status'], networkMode = 'default') => {
    const spec = { ...emptySpec('busybox'), networkMode, endpointsConfig: [{ network: 'default', aliases: [], ipv4Address: '' }] };
    const c: Container = {
      id: name.padEnd(64, '0'), name, imageId: 'sha256:x', created: '', spec, path: 'sh', args: [], restartCount: 0, logPath: '',
      runtime: 'runc', imageConfig: Buffer.from('{}'), rootfsMounts: [], netnsPath: '', monitorPid: 0, manuallyStopped: false,
      networks: await initialNetworks(ctx, spec), ports: [],
      state: { status, pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME },
    };
    db.insert(c);
    return c;
  };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-netattach-'));
    db = new ContainerDb(path.join(dir, 'runtime.db'));
    ctx = { db, network: net, locks: new KeyedMutex(), logger: silentLogger() } as unknown as RuntimeContext;
  });
  after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('create resolves the networks and applies Docker\'s rules', async () => {
    const spec = { ...emptySpec('busybox'), networkMode: 'app', endpointsConfig: [{ network: 'app', aliases: ['web', 'web'], ipv4Address: '10.1.0.9' }, { network: 'bridge', aliases: [], ipv4Address: '' }] };
    const nets = await initialNetworks(ctx, spec);
    assert.deepEqual(nets.map((a) => [a.config.network, a.networkId[0], a.config.aliases, a.config.ipv4Address]), [['app', 'a', ['web'], '10.1.0.9'], ['bridge', 'b', [], '']]);
    assert.deepEqual(await initialNetworks(ctx, { ...emptySpec('b'), networkMode: 'none' }), []);
    const refuse = async (s: Partial<typeof spec>, kind: string, message: RegExp) =>
      assert.rejects(initialNetworks(ctx, { ...emptySpec('b'), ...s }), (err) => errorKind(err) === kind && message.test((err as Error).message));
    await refuse({ networkMode: 'nope' }, 'not_found', /network nope not found/);
    await refuse({ networkMode: 'default', endpointsConfig: [{ network: 'default', aliases: ['x'], ipv4Address: '' }] }, 'invalid_argument', /alias is supported only/);
    await refuse({ networkMode: 'bridge', endpointsConfig: [{ network: 'bridge', aliases: [], ipv4Address: '10.0.0.9' }] }, 'invalid_argument', /user defined networks only/);
    await refuse({ networkMode: 'app', endpointsConfig: [{ network: 'app', aliases: [], ipv4Address: '10.0.0.300' }] }, 'invalid_argument', /invalid IPv4/);
    await refuse({ networkMode: 'container:x', portBindings: [{ containerPort: '80/tcp', hostIp: '', hostPort: '' }] }, 'invalid_argument', /port publishing/);
  });

  it('connect and disconnect: live for a running container, remembered for a stopped one', async () => {
    const stopped = await store('cold', Status.Exited);
    await connectNetwork(ctx, 'cold', { network: 'app', aliases: ['x'], ipv4Address: '' });
    assert.deepEqual(db.get(stopped.id)!.networks.map((a) => a.config.network), ['bridge', 'app']);
    await assert.rejects(connectNetwork(ctx, 'cold', { network: 'app', aliases: [], ipv4Address: '' }), /already exists in network app/);
    const running = await store('hot', Status.Running);
    await connectNetwork(ctx, 'hot', { network: 'aaaa', aliases: [], ipv4Address: '' });
    assert.equal(db.get(running.id)!.networks[1]!.endpoint?.ipv4Address, '10.9.0.2/24');
    await disconnectNetwork(ctx, 'hot', 'app', false);
    await assert.rejects(disconnectNetwork(ctx, 'hot', 'app', false), /is not connected to network app/);
    await disconnectNetwork(ctx, 'hot', 'app', true);
    await disconnectNetwork(ctx, 'cold', 'app', false);
    assert.deepEqual(net.calls, ['connect hot app', 'disconnect hot a']);
    await store('hosted', Status.Exited, 'host');
    await assert.rejects(connectNetwork(ctx, 'hosted', { network: 'app', aliases: [], ipv4Address: '' }), (err) => errorKind(err) === 'permission_denied');
  });

  it('a start records endpoints and ports; an exit forgets them, or defers the teardown while the network service is down', async () => {
    const c = await store('web', Status.Created);
    await networkFor(ctx, c);
    const started = db.get(c.id)!;
    assert.equal(started.networks[0]!.endpoint?.ipv4Address, '10.0.0.2/24');
    assert.deepEqual(started.ports, [{ containerPort: '80/tcp', hostIp: '0.0.0.0', hostPort: '32768' }]);
    net.down = true;
    await releaseNetwork(ctx, { ...started, state: { ...started.state, status: Status.Exited } });
    assert.ok(db.get(c.id)!.networks[0]!.endpoint, 'kept: the teardown is owed');
    await assert.rejects(releaseNetwork(ctx, { ...started, state: { ...started.state, status: Status.Removing } }), /unavailable/);
    db.updateState(c.id, { status: Status.Exited });
    net.down = false;
    await retryDeferredTeardowns(ctx);
    assert.equal(db.get(c.id)!.networks[0]!.endpoint, undefined);
    assert.deepEqual(db.get(c.id)!.ports, []);
    assert.ok(net.calls.includes('teardown web'));
  });
});
