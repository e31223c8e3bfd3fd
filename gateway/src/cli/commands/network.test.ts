import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../cli.js';
import type { Output } from '../command.js';
import { parseArgs } from '../args.js';
import { startInMemoryStack, type InMemoryStack } from '../../server/testing/in-memory-stack.js';
import { createBody, parseRunOptions, RUN_FLAGS } from './run-options.js';
import { portLines } from './port.js';

function capture(): Output & { text: () => string } {
  let text = '';
  return { isTTY: false, columns: 80, write: (t) => void (text += typeof t === 'string' ? t : Buffer.from(t).toString()), text: () => text };
}

test('run -P, --network-alias and --ip become PublishAllPorts and NetworkingConfig', () => {
  const o = parseRunOptions(parseArgs(['-P', '--network', 'app', '--network-alias', 'web', '--ip', '10.1.0.5', 'busybox'], RUN_FLAGS, { interspersed: false }));
  const body = createBody(o) as Record<string, any>;
  assert.equal(body['HostConfig'].PublishAllPorts, true);
  assert.equal(body['HostConfig'].NetworkMode, 'app');
  assert.deepEqual(body['NetworkingConfig'], { EndpointsConfig: { app: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.1.0.5' } } } });
  assert.equal((createBody(parseRunOptions(parseArgs(['busybox'], RUN_FLAGS))) as Record<string, unknown>)['NetworkingConfig'], undefined);
});

test('port lines as docker prints them, sorted by port', () => {
  const ports = { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '1' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '2' }], '80/tcp': null };
  assert.deepEqual(portLines(ports), ['53/udp -> 127.0.0.1:2', '8080/tcp -> 0.0.0.0:1']);
  assert.deepEqual(portLines(ports, '8080'), ['0.0.0.0:1']);
  assert.deepEqual(portLines(ports, '53/udp'), ['127.0.0.1:2']);
  assert.deepEqual(portLines(ports, '80'), []);
});

describe('berth network … against the gateway (in-memory services)', () => {
  let stack: InMemoryStack;
  const berth = async (...argv: string[]) => {
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(argv, { env: { BERTH_HOST: `unix://${stack.socketPath}` }, stdout, stderr, onSignal: () => () => undefined });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };
  before(async () => {
    stack = await startInMemoryStack();
  });
  after(() => stack.close());

  test('create, ls, inspect, rm, prune, and help', async () => {
    const created = await berth('network', 'create', '--subnet', '10.7.0.0/24', '--gateway', '10.7.0.254', '--internal', '--label', 'k=v', 'app');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^[0-9a-f]{64}\n$/);
    const n = stack.networks.find('app');
    assert.deepEqual(n.ipam, [{ subnet: '10.7.0.0/24', gateway: '10.7.0.254', ipRange: '' }]);
    assert.equal(n.internal, true);
    const ls = await berth('network', 'ls');
    assert.match(ls.stdout, /^NETWORK ID     NAME      DRIVER    SCOPE\n/);
    assert.match(ls.stdout, new RegExp(`^${n.id.slice(0, 12)}   app       bridge    local$`, 'm'));
    assert.equal((await berth('network', 'ls', '-q', '-f', 'name=app')).stdout, `${n.id.slice(0, 12)}\n`);
    assert.equal((await berth('network', 'ls', '--format', '{{.Name}}/{{.Driver}}', '-f', 'name=app')).stdout, 'app/bridge\n');
    assert.equal(JSON.parse((await berth('network', 'inspect', 'app')).stdout)[0].Name, 'app');
    const missing = await berth('network', 'inspect', 'app', 'nope');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error response from daemon: network nope not found\n');
    assert.equal((await berth('network', 'rm', 'app')).stdout, 'app\n');
    await berth('network', 'create', 'spare');
    assert.equal((await berth('network', 'prune', '-f')).stdout, 'Deleted Networks:\nspare\n');
    assert.match((await berth('network')).stdout, /Manage networks/);
    assert.match((await berth('network', 'connect', '--help')).stdout, /Usage:  berth network connect \[OPTIONS\] NETWORK CONTAINER/);
    assert.equal((await berth('network', 'bogus')).code, 125);
    assert.equal((await berth('network', 'connect', 'onlyone')).code, 125);
  });

  test('connect and disconnect a container', async () => {
    assert.equal((await berth('run', '-d', '--name', 'c2', 'hello-world', 'sleep', '60')).code, 0);
    const connect = await berth('network', 'connect', '--alias', 'x', '--ip', '10.3.0.3', 'side', 'c2');
    assert.equal(connect.code, 0, connect.stderr);
    assert.deepEqual(stack.runtime.get('c2').networks.at(-1)?.config, { network: 'side', aliases: ['x'], ipv4Address: '10.3.0.3' });
    assert.equal((await berth('network', 'disconnect', 'side', 'c2')).code, 0);
    assert.equal((await berth('network', 'disconnect', 'side', 'c2')).code, 1);
    assert.equal((await berth('network', 'disconnect', '-f', 'side', 'c2')).code, 0);
    assert.equal((await berth('port', 'c2')).stdout, '');
    assert.equal((await berth('port', 'c2', '80')).code, 1);
    await berth('rm', '-f', 'c2');
  });
});
