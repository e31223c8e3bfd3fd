import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorKind } from '@berth/kit';
import { emptySpec, Status, ZERO_TIME, type Container } from '../domain/container.js';
import { ContainerDb } from './container-db.js';

const container = (id: string, name: string): Container => ({
  id, name, imageId: 'sha256:img', created: new Date().toISOString(), spec: { ...emptySpec('busybox'), cmd: ['sh'] },
  state: { status: Status.Created, pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME },
  path: 'sh', args: [], restartCount: 0, logPath: '/l', runtime: 'runc', imageConfig: Buffer.from('{}'),
  rootfsMounts: [{ type: 'overlay', source: 'overlay', target: '', options: ['lowerdir=/a'] }], netnsPath: '', monitorPid: 0, manuallyStopped: false,
  networks: [{ config: { network: 'bridge', aliases: [], ipv4Address: '' }, networkId: 'n1' }], ports: [],
});

describe('ContainerDb', () => {
  let dir: string;
  let db: ContainerDb;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-db-'));
    db = new ContainerDb(path.join(dir, 'runtime.db'));
  });
  after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores, finds, updates and deletes containers; names are unique', () => {
    const a = container('a'.repeat(64), 'web');
    db.insert(a);
    assert.deepEqual(db.get(a.id), a);
    assert.throws(() => db.insert(container('b'.repeat(64), 'web')), (err) => errorKind(err) === 'already_exists');
    assert.equal(db.get('b'.repeat(64)), undefined, 'a refused insert leaves nothing');
    db.insert(container('ab'.repeat(32), 'db'));
    assert.deepEqual(db.idsWithPrefix('a').sort(), ['a'.repeat(64), 'ab'.repeat(32)].sort());
    assert.deepEqual(db.idsWithPrefix('aa'), ['a'.repeat(64)]);
    db.updateState(a.id, { status: Status.Running, pid: 42, monitorPid: 41 });
    assert.deepEqual(db.list([Status.Running]).map((c) => [c.id, c.state.pid, c.monitorPid]), [[a.id, 42, 41]]);
    const live = { ipv4Address: '10.0.0.2/24', gateway: '10.0.0.1', macAddress: '02:42:0a:00:00:02', interface: 'eth0' };
    const networks = [{ ...a.networks[0]!, endpoint: live }];
    db.updateNetworks(a.id, { networks, ports: [{ containerPort: '80/tcp', hostIp: '0.0.0.0', hostPort: '32768' }] });
    assert.deepEqual(db.get(a.id)?.networks, networks);
    assert.equal(db.get(a.id)?.ports[0]?.hostPort, '32768');
    assert.deepEqual(db.withEndpoints(), [a.id]);
    db.updateNetworks(a.id, { networks: [a.networks[0]!], ports: [] });
    assert.deepEqual(db.withEndpoints(), []);
    db.delete(a.id);
    assert.equal(db.nameHolder('web'), undefined);
    assert.throws(() => db.updateNetworks(a.id, { networks: [], ports: [] }), (err) => errorKind(err) === 'not_found');
    assert.throws(() => db.updateState(a.id, { pid: 1 }), (err) => errorKind(err) === 'not_found');
  });
});
