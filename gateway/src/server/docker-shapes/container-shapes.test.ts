import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerFixture } from '../testing/container-fixture.js';
import { containerSummary } from './container-summary.js';
import { containerInspect } from './container-inspect.js';
import { statusText } from './container-status.js';
import { effectiveConfig } from './effective-config.js';
import { containerSpecFromDocker } from './container-spec.js';
import { emptyState } from './container-defaults.js';

const now = new Date('2024-01-01T00:10:00Z');

test('statusText words each state as docker ps does', () => {
  const s = (over: Partial<ReturnType<typeof emptyState>>) => statusText({ ...emptyState(), ...over }, now);
  assert.equal(s({ status: 'created' }), 'Created');
  assert.equal(s({ status: 'running', running: true, startedAt: '2024-01-01T00:09:57Z' }), 'Up 3 seconds');
  assert.equal(s({ status: 'paused', running: true, paused: true, startedAt: '2024-01-01T00:00:00Z' }), 'Up 10 minutes (Paused)');
  assert.equal(
    s({ status: 'exited', exitCode: 0, startedAt: '2024-01-01T00:00:00Z', finishedAt: '2024-01-01T00:08:00Z' }),
    'Exited (0) 2 minutes ago',
  );
  assert.equal(
    s({ status: 'restarting', restarting: true, running: true, exitCode: 1, finishedAt: '2024-01-01T00:09:55Z' }),
    'Restarting (1) 5 seconds ago',
  );
  assert.equal(s({ status: 'dead', dead: true, startedAt: '2024-01-01T00:00:00Z' }), 'Dead');
  assert.equal(s({ status: 'removing' }), 'Removal In Progress');
  assert.equal(s({ status: 'exited', startedAt: '0001-01-01T00:00:00Z' }), 'Created');
});

test('containerSummary is Docker\'s ContainerSummary', () => {
  const c = containerFixture({ state: { status: 'running', running: true, startedAt: '2024-01-01T00:09:57Z' } });
  const s = containerSummary(c, now);
  assert.equal(s['Id'], c.id);
  assert.deepEqual(s['Names'], ['/web']);
  assert.equal(s['Image'], 'busybox');
  assert.equal(s['ImageID'], c.imageId);
  assert.equal(s['Command'], 'sleep 60');
  assert.equal(s['Created'], 1704067200);
  assert.equal(s['State'], 'running');
  assert.equal(s['Status'], 'Up 3 seconds');
  assert.deepEqual(s['Ports'], [{ PrivatePort: 53, Type: 'udp' }]);
  assert.deepEqual(s['Labels'], { from: 'image' });
  assert.deepEqual(s['HostConfig'], { NetworkMode: 'default' });
  assert.deepEqual(Object.keys(s['NetworkSettings'] as object), ['Networks']);
  assert.ok('bridge' in ((s['NetworkSettings'] as { Networks: object }).Networks));
  assert.deepEqual(s['Mounts'], []);
});

test('published ports show while running, with the host ports the runtime chose', () => {
  const spec = containerSpecFromDocker({
    Image: 'b',
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] } },
  });
  const ports = [{ containerPort: '80/tcp', hostIp: '0.0.0.0', hostPort: '32768' }];
  const running = containerSummary(containerFixture({ spec, ports, state: { status: 'running', running: true } }), now);
  assert.deepEqual(running['Ports'], [
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 32768, Type: 'tcp' },
    { PrivatePort: 53, Type: 'udp' },
  ]);
  const inspect = containerInspect(containerFixture({ spec, ports, state: { status: 'running', running: true } })) as Record<string, any>;
  assert.deepEqual(inspect['NetworkSettings'].Ports, { '53/udp': null, '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }] });
  const stopped = containerSummary(containerFixture({ spec }), now) as Record<string, any>;
  assert.deepEqual(stopped['Ports'], [{ PrivatePort: 53, Type: 'udp' }, { PrivatePort: 80, Type: 'tcp' }]);
  const host = containerSummary(containerFixture({ spec: { ...spec, networkMode: 'host' }, networks: [] }), now) as Record<string, any>;
  assert.deepEqual(Object.keys(host['NetworkSettings'].Networks), ['host']);
});

test('inspect shows the endpoints of every network, the default bridge also in the legacy fields', () => {
  const endpoint = { ipv4Address: '10.201.0.2/16', gateway: '10.201.0.1', macAddress: '02:42:0a:c9:00:02', interface: 'eth0' };
  const c = containerFixture({
    state: { status: 'running', running: true },
    netnsPath: '/run/berth/netns/x',
    networks: [
      { config: { network: 'bridge', aliases: [], ipv4Address: '' }, networkId: 'n1', endpoint },
      { config: { network: 'app', aliases: ['db'], ipv4Address: '10.9.0.5' }, networkId: 'n2', endpoint: { ...endpoint, ipv4Address: '10.9.0.5/24', gateway: '10.9.0.1' } },
    ],
  });
  const ns = (containerInspect(c) as Record<string, any>)['NetworkSettings'];
  assert.equal(ns.IPAddress, '10.201.0.2');
  assert.equal(ns.IPPrefixLen, 16);
  assert.equal(ns.Gateway, '10.201.0.1');
  assert.equal(ns.MacAddress, '02:42:0a:c9:00:02');
  assert.equal(ns.SandboxKey, '/run/berth/netns/x');
  assert.match(ns.SandboxID, /^[0-9a-f]{64}$/);
  assert.deepEqual(Object.keys(ns.Networks), ['bridge', 'app']);
  assert.equal(ns.Networks.bridge.DNSNames, null);
  assert.equal(ns.Networks.app.IPAddress, '10.9.0.5');
  assert.deepEqual(ns.Networks.app.IPAMConfig, { IPv4Address: '10.9.0.5' });
  assert.deepEqual(ns.Networks.app.Aliases, ['db']);
  assert.deepEqual(ns.Networks.app.DNSNames, ['web', 'db', c.id.slice(0, 12)]);
  assert.match(ns.Networks.app.EndpointID, /^[0-9a-f]{64}$/);
  const stopped = (containerInspect({ ...c, state: { ...c.state!, running: false, status: 'exited' } }) as Record<string, any>)['NetworkSettings'];
  assert.deepEqual(stopped.Ports, {});
  assert.equal(stopped.SandboxKey, '');
});

test('containerInspect has Docker\'s top-level fields and types', () => {
  const c = containerFixture({
    state: { status: 'exited', exitCode: 3, startedAt: '2024-01-01T00:00:01Z', finishedAt: '2024-01-01T00:00:02Z' },
    rootfsMounts: [{ type: 'overlay', source: 'overlay', target: '', options: ['lowerdir=/l1:/l2', 'upperdir=/u', 'workdir=/w'] }],
  });
  const i = containerInspect(c) as Record<string, any>;
  for (const key of ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name', 'RestartCount', 'Driver', 'Platform', 'HostConfig', 'GraphDriver', 'Mounts', 'Config', 'NetworkSettings']) {
    assert.ok(key in i, key);
  }
  assert.equal(i['Name'], '/web');
  assert.deepEqual(i['State'], {
    Status: 'exited',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 3,
    Error: '',
    StartedAt: '2024-01-01T00:00:01Z',
    FinishedAt: '2024-01-01T00:00:02Z',
  });
  assert.equal(i['Config'].Hostname, c.id.slice(0, 12));
  assert.deepEqual(i['Config'].Cmd, ['sleep', '60']);
  assert.deepEqual(i['Config'].Env, ['PATH=/usr/bin:/bin']);
  assert.equal(i['Config'].Image, 'busybox');
  assert.equal(i['Config'].Tty, false);
  assert.equal(i['HostConfig'].NetworkMode, 'default');
  assert.deepEqual(i['HostConfig'].RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.deepEqual(i['GraphDriver'], { Name: 'overlay2', Data: { LowerDir: '/l1:/l2', UpperDir: '/u', WorkDir: '/w', MergedDir: '' } });
  assert.equal(i['Platform'], 'linux');
  assert.equal(typeof i['NetworkSettings'].Networks, 'object');
});

test('a never-started container shows Docker\'s zero times', () => {
  const i = containerInspect(containerFixture()) as Record<string, any>;
  assert.equal(i['State'].StartedAt, '0001-01-01T00:00:00Z');
  assert.equal(i['State'].FinishedAt, '0001-01-01T00:00:00Z');
});

test('effectiveConfig merges user and image settings by Docker\'s rules', () => {
  const image = { User: 'app', Env: ['PATH=/bin', 'LANG=C'], Cmd: ['sh'], Entrypoint: ['/init'], WorkingDir: '/app', Labels: { a: '1', b: '1' } };
  const base = containerSpecFromDocker({ Image: 'x', Env: ['LANG=en'], Labels: { b: '2' } });
  const merged = effectiveConfig(base, image);
  assert.deepEqual(merged.env, ['LANG=en', 'PATH=/bin']);
  assert.deepEqual(merged.cmd, ['sh']);
  assert.deepEqual(merged.entrypoint, ['/init']);
  assert.equal(merged.user, 'app');
  assert.equal(merged.workingDir, '/app');
  assert.deepEqual(merged.labels, { a: '1', b: '2' });
  // A user entrypoint drops the image's Cmd; an empty one resets the image's entrypoint.
  assert.deepEqual(effectiveConfig(containerSpecFromDocker({ Image: 'x', Entrypoint: ['/other'] }), image).cmd, null);
  const reset = effectiveConfig(containerSpecFromDocker({ Image: 'x', Entrypoint: [''], Cmd: ['ls'] }), image);
  assert.deepEqual(reset.entrypoint, []);
  assert.deepEqual(reset.cmd, ['ls']);
});
