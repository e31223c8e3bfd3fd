import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '@berth/fixtures';
import type { Endpoint, Network } from '../domain/model.js';
import { NetworkDb } from './network-db.js';

const dir = tempDir('berth-netdb-');
after(() => dir.cleanup());

const net = (id: string, name: string): Network => ({
  id, name, driver: 'bridge', created: new Date().toISOString(), internal: false, subnet: '10.9.0.0/24', gateway: '10.9.0.1',
  ipRange: '', bridge: `br-${id}`, mtu: 1500, masquerade: true, options: { a: 'b' }, labels: { l: 'v' }, predefined: false,
});
const ep = (cid: string, nid: string, address: string, seq = 0): Endpoint => ({
  containerId: cid, networkId: nid, name: cid, address, prefix: 24, mac: '02:42:0a:09:00:02', gateway: '10.9.0.1',
  aliases: ['x'], interface: `eth${seq}`, hostInterface: `bv${cid}${nid}`, seq,
});

describe('NetworkDb', () => {
  it('round-trips networks and enforces unique names', () => {
    const db = new NetworkDb(path.join(dir.path, 'a.db'));
    const one = net('n1', 'one');
    db.insertNetwork(one);
    assert.deepEqual(db.networkByName('one'), one);
    assert.deepEqual(db.getNetwork('n1'), one);
    assert.throws(() => db.insertNetwork(net('n2', 'one')));
    db.close();
  });

  it('is the IPAM: one address per network, rows go with their sandbox', () => {
    const db = new NetworkDb(path.join(dir.path, 'b.db'));
    db.insertNetwork(net('n1', 'one'));
    db.insertSandbox({ containerId: 'c1', name: 'c1', hostname: 'h', netnsPath: '/x/c1', created: '' });
    db.insertSandbox({ containerId: 'c2', name: 'c2', hostname: 'h', netnsPath: '/x/c2', created: '' });
    db.insertEndpoint(ep('c1', 'n1', '10.9.0.2'));
    assert.throws(() => db.insertEndpoint(ep('c2', 'n1', '10.9.0.2')), /UNIQUE/);
    db.insertPort({ containerId: 'c1', networkId: 'n1', protocol: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080 });
    assert.equal(db.endpointByAddress('10.9.0.2')!.containerId, 'c1');
    assert.throws(() => db.transaction(() => {
      db.deleteSandbox('c1');
      throw new Error('abort');
    }), /abort/);
    assert.equal(db.endpointsOf('c1').length, 1, 'rolled back');
    db.deleteSandbox('c1');
    assert.equal(db.listEndpoints().length, 0);
    assert.equal(db.listPorts().length, 0);
    db.close();
  });
});
