import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../args.js';
import { createBody, parsePublish, parseRunOptions, RUN_FLAGS } from './run-options.js';
import { imageRows } from './images.js';
import { formatPorts, psRows } from './ps.js';
import { parseSince } from '../since.js';

const run = (...argv: string[]) => parseRunOptions(parseArgs(argv, RUN_FLAGS, { interspersed: false }));

test('run options: flags before the image, the command after it', () => {
  const o = run('-d', '--rm', '--name', 'web', '-e', 'A=1', '--network', 'host', '-w', '/srv', '-u', '1000', '-h', 'box', 'busybox', 'sh', '-c', 'echo hi');
  assert.equal(o.image, 'busybox');
  assert.deepEqual(o.command, ['sh', '-c', 'echo hi']);
  assert.equal(o.detach, true);
  assert.equal(o.rm, true);
  assert.equal(o.name, 'web');
  assert.deepEqual(o.env, ['A=1']);
  assert.equal(o.network, 'host');
  assert.equal(o.workdir, '/srv');
  assert.equal(o.user, '1000');
  assert.equal(o.hostname, 'box');
  assert.throws(() => run(), /requires at least 1 argument/);
  assert.throws(() => run('--pull', 'sometimes', 'x'), /invalid pull option/);
});

test('run options → Docker create body', () => {
  const body = createBody(run('--rm', '--entrypoint', '', '-l', 'a=b', '-p', '127.0.0.1:8080:80', 'busybox')) as Record<string, any>;
  assert.equal(body['Image'], 'busybox');
  assert.equal(body['Cmd'], null);
  assert.deepEqual(body['Entrypoint'], []);
  assert.deepEqual(body['Labels'], { a: 'b' });
  assert.equal(body['HostConfig'].NetworkMode, 'default');
  assert.equal(body['HostConfig'].AutoRemove, false, 'a foreground --rm is done by the CLI');
  assert.deepEqual(body['HostConfig'].PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
  assert.equal((createBody(run('-d', '--rm', 'busybox')) as any).HostConfig.AutoRemove, true);
  assert.deepEqual((createBody(run('--entrypoint', '/bin/sh', 'busybox')) as any).Entrypoint, ['/bin/sh']);
});

test('parsePublish', () => {
  assert.deepEqual(parsePublish(['80']).bindings, { '80/tcp': [{ HostIp: '', HostPort: '' }] });
  assert.deepEqual(parsePublish(['5353:53/udp']).bindings, { '53/udp': [{ HostIp: '', HostPort: '5353' }] });
  assert.throws(() => parsePublish(['80:http']), /invalid containerPort/);
});

test('images rows: one per tag, <none> for untagged, sizes with 3 digits', () => {
  const now = new Date('2024-01-01T00:02:00Z');
  const rows = imageRows(
    [
      { Id: 'sha256:' + 'a'.repeat(64), RepoTags: ['busybox:latest', 'localhost:5000/bb:1'], RepoDigests: [], Created: 1704067200, Size: 4_257_000 },
      { Id: 'sha256:' + 'b'.repeat(64), RepoTags: [], RepoDigests: ['old@sha256:x'], Created: 1704067200, Size: 999 },
    ],
    false,
    now,
  );
  assert.deepEqual(rows, [
    ['busybox', 'latest', 'aaaaaaaaaaaa', '2 minutes ago', '4.26MB'],
    ['localhost:5000/bb', '1', 'aaaaaaaaaaaa', '2 minutes ago', '4.26MB'],
    ['old', '<none>', 'bbbbbbbbbbbb', '2 minutes ago', '999B'],
  ]);
});

test('ps rows quote and shorten the command, strip the name\'s slash', () => {
  const rows = psRows(
    [{ Id: 'c'.repeat(64), Names: ['/web'], Image: 'busybox', Command: 'sleep 3600 && echo finished', Created: 1704067200, Status: 'Up 3 seconds', Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }] }],
    false,
    new Date('2024-01-01T00:00:03Z'),
  );
  assert.deepEqual(rows, [['cccccccccccc', 'busybox', '"sleep 3600 && echo …"', '3 seconds ago', 'Up 3 seconds', '0.0.0.0:8080->80/tcp', 'web']]);
  assert.equal(formatPorts([{ PrivatePort: 53, Type: 'udp' }]), '53/udp');
});

test('parseSince: durations, RFC 3339 and unix seconds', () => {
  const now = Date.parse('2024-01-01T01:00:00Z');
  assert.equal(parseSince('10m', now), '1704070200.000000000');
  assert.equal(parseSince('1h30m', now), '1704065400.000000000');
  assert.equal(parseSince('2024-01-01T00:00:00.5Z', now), '1704067200.500000000');
  assert.equal(parseSince('1704067200', now), '1704067200');
  assert.throws(() => parseSince('yesterday', now), /invalid value/);
});

test('the lazy command table names each verb as its module does, with the same summary', async () => {
  const { COMMANDS } = await import('./index.js');
  assert.ok(COMMANDS.length >= 39);
  for (const entry of COMMANDS) {
    const command = await entry.load();
    assert.equal(command.name, entry.name);
    assert.equal(command.summary, entry.summary, `summary of ${entry.name}`);
  }
  assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length, 'no verb twice');
});
