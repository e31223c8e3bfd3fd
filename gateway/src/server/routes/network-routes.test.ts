import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInMemoryStack, type InMemoryStack } from '../testing/in-memory-stack.js';
import { call } from '../testing/http-client.js';

describe('network routes (in-memory services behind real gRPC)', () => {
  let stack: InMemoryStack;
  let sock: string;
  before(async () => {
    stack = await startInMemoryStack();
    sock = stack.socketPath;
    assert.equal((await call(sock, 'POST', '/images/create?fromImage=hello-world&tag=latest')).status, 200);
  });
  after(() => stack.close());

  test('create, list with filters, inspect in Docker\'s shape, remove, prune', async () => {
    const body = { Name: 'app', Driver: 'bridge', Internal: true, IPAM: { Driver: 'default', Config: [{ Subnet: '10.5.0.0/24', Gateway: '10.5.0.1', IPRange: '10.5.0.128/25' }] }, Labels: { a: 'b' }, Options: { o: 'v' }, CheckDuplicate: true };
    const created = await call(sock, 'POST', '/v1.45/networks/create', body);
    assert.equal(created.status, 201, created.body.toString());
    const { Id, Warning } = created.json();
    assert.match(Id, /^[0-9a-f]{64}$/);
    assert.equal(Warning, '');
    const dup = await call(sock, 'POST', '/v1.45/networks/create', body);
    assert.equal(dup.status, 409);
    assert.equal(dup.json().message, 'network with name app already exists');
    assert.equal((await call(sock, 'POST', '/networks/create', { Driver: 'bridge' })).status, 400);

    const list = (await call(sock, 'GET', '/v1.45/networks')).json();
    assert.deepEqual(list.map((n: { Name: string }) => n.Name).sort(), ['app', 'bridge', 'host', 'none']);
    const filtered = (await call(sock, 'GET', `/networks?filters=${encodeURIComponent('{"name":["ap"]}')}`)).json();
    assert.deepEqual(filtered.map((n: { Name: string }) => n.Name), ['app']);

    const n = (await call(sock, 'GET', `/v1.45/networks/${Id.slice(0, 12)}`)).json();
    assert.equal(n.Name, 'app');
    assert.equal(n.Internal, true);
    assert.deepEqual(n.IPAM, { Driver: 'default', Options: null, Config: [{ Subnet: '10.5.0.0/24', Gateway: '10.5.0.1', IPRange: '10.5.0.128/25' }] });
    assert.deepEqual(n.Labels, { a: 'b' });
    assert.deepEqual(n.Containers, {});
    for (const key of ['Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Options']) assert.ok(key in n, key);
    const missing = await call(sock, 'GET', '/v1.45/networks/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.json().message, 'network nope not found');

    const predefined = await call(sock, 'DELETE', '/v1.45/networks/bridge');
    assert.equal(predefined.status, 403);
    assert.equal((await call(sock, 'DELETE', '/v1.45/networks/app')).status, 204);
    await call(sock, 'POST', '/networks/create', { Name: 'spare' });
    const pruned = await call(sock, 'POST', '/v1.45/networks/prune');
    assert.equal(pruned.status, 200);
    assert.deepEqual(pruned.json(), { NetworksDeleted: ['spare'] });
  });

  test('connect and disconnect go to the runtime with the endpoint config; create carries EndpointsConfig', async () => {
    const created = await call(sock, 'POST', '/containers/create?name=c1', {
      Image: 'hello-world',
      HostConfig: { NetworkMode: 'front' },
      NetworkingConfig: { EndpointsConfig: { front: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.9.0.9' } } } },
    });
    assert.equal(created.status, 201, created.body.toString());
    const spec = stack.runtime.get('c1').spec!;
    assert.deepEqual(spec.endpointsConfig, [{ network: 'front', aliases: ['web'], ipv4Address: '10.9.0.9' }]);
    const connect = await call(sock, 'POST', '/v1.45/networks/back/connect', { Container: 'c1', EndpointConfig: { Aliases: ['db'], IPAMConfig: { IPv4Address: '10.8.0.8' } } });
    assert.equal(connect.status, 200, connect.body.toString());
    assert.deepEqual(stack.runtime.get('c1').networks.at(-1)?.config, { network: 'back', aliases: ['db'], ipv4Address: '10.8.0.8' });
    const inspect = (await call(sock, 'GET', '/containers/c1/json')).json();
    assert.deepEqual(Object.keys(inspect.NetworkSettings.Networks), ['front', 'back']);
    assert.equal((await call(sock, 'POST', '/networks/back/connect', {})).status, 400);
    assert.equal((await call(sock, 'POST', '/v1.45/networks/back/disconnect', { Container: 'c1' })).status, 200);
    assert.equal((await call(sock, 'POST', '/v1.45/networks/back/disconnect', { Container: 'c1' })).status, 409);
    assert.equal((await call(sock, 'POST', '/v1.45/networks/back/disconnect', { Container: 'c1', Force: true })).status, 200);
  });
});
