import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSpecFromDocker, validContainerName } from './container-spec.js';
import { containerInspect } from './container-inspect.js';
import { containerSummary } from './container-summary.js';
import { containerFixture } from '../testing/container-fixture.js';

/** A body as `docker run -d --name web -e A=1 -p 8080:80 --network host --rm busybox sleep 9` sends it (trimmed). */
const dockerBody = {
  Hostname: '',
  User: 'nobody',
  AttachStdout: true,
  AttachStderr: true,
  ExposedPorts: { '80/tcp': {} },
  Tty: false,
  OpenStdin: false,
  Env: ['A=1'],
  Cmd: ['sleep', '9'],
  Image: 'busybox',
  Volumes: null,
  WorkingDir: '/srv',
  Entrypoint: null,
  Labels: { tier: 'web' },
  StopTimeout: 3,
  HostConfig: {
    Binds: ['/data:/data:ro'],
    NetworkMode: 'host',
    PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] },
    RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
    AutoRemove: true,
    CapAdd: ['NET_ADMIN'],
    CapDrop: null,
    Memory: 67108864,
    NanoCpus: 500000000,
    PidsLimit: null,
    Mounts: [{ Type: 'tmpfs', Target: '/tmp', ReadOnly: true }],
    Init: null,
  },
  NetworkingConfig: { EndpointsConfig: { host: {} } },
};

test('Docker create body → ContainerSpec', () => {
  const spec = containerSpecFromDocker(dockerBody);
  assert.equal(spec.image, 'busybox');
  assert.deepEqual(spec.cmd, { values: ['sleep', '9'] });
  assert.equal(spec.entrypoint, undefined, 'null Entrypoint means the image\'s');
  assert.deepEqual(spec.env, ['A=1']);
  assert.equal(spec.user, 'nobody');
  assert.equal(spec.workingDir, '/srv');
  assert.deepEqual(spec.labels, { tier: 'web' });
  assert.equal(spec.stopTimeout, 3);
  assert.equal(spec.networkMode, 'host');
  assert.equal(spec.autoRemove, true);
  assert.deepEqual(spec.restartPolicy, { name: 'on-failure', maximumRetryCount: 2 });
  assert.deepEqual(spec.exposedPorts, ['80/tcp']);
  assert.deepEqual(spec.portBindings, [{ containerPort: '80/tcp', hostIp: '', hostPort: '8080' }]);
  assert.deepEqual(spec.binds, ['/data:/data:ro']);
  assert.deepEqual(spec.capAdd, ['NET_ADMIN']);
  assert.deepEqual(spec.capDrop, []);
  assert.equal(spec.resources?.memory, 67108864);
  assert.equal(spec.resources?.nanoCpus, 500000000);
  assert.equal(spec.resources?.pidsLimit, 0);
  assert.deepEqual(spec.mounts, [{ type: 'tmpfs', source: '', target: '/tmp', options: ['ro'] }]);
  assert.equal(spec.attachStdout, true);
  assert.equal(spec.init, false);
});

test('unset NetworkMode is Docker\'s "default"; string Cmd is one argument', () => {
  const spec = containerSpecFromDocker({ Image: 'busybox', Cmd: 'true' });
  assert.equal(spec.networkMode, 'default');
  assert.deepEqual(spec.cmd, { values: ['true'] });
  assert.equal(spec.stopTimeout, undefined);
});

test('an empty Entrypoint (or [""], as the docker CLI sends --entrypoint "") resets the image\'s', () => {
  assert.deepEqual(containerSpecFromDocker({ Image: 'b', Entrypoint: [] }).entrypoint, { values: [] });
  assert.deepEqual(containerSpecFromDocker({ Image: 'b', Entrypoint: [''] }).entrypoint, { values: [] });
});

test('wrong types are 400s naming the field', () => {
  assert.throws(() => containerSpecFromDocker(undefined), { kind: 'invalid_argument' });
  assert.throws(() => containerSpecFromDocker({}), { kind: 'invalid_argument' });
  assert.throws(() => containerSpecFromDocker({ Image: 'b', Env: 'A=1' }), /field Env/);
  assert.throws(() => containerSpecFromDocker({ Image: 'b', HostConfig: { Memory: '1g' } }), /HostConfig.Memory/);
  assert.throws(() => containerSpecFromDocker({ Image: 'b', HostConfig: [] }), /HostConfig/);
  assert.throws(() => containerSpecFromDocker([]), { kind: 'invalid_argument' });
});

test('container names follow Docker\'s rule', () => {
  assert.equal(validContainerName('/web-1'), 'web-1');
  assert.equal(validContainerName('a.b_c'), 'a.b_c');
  assert.throws(() => validContainerName('x'), /Invalid container name \(x\)/);
  assert.throws(() => validContainerName('-bad'), { kind: 'invalid_argument' });
  assert.throws(() => validContainerName('a/b'), { kind: 'invalid_argument' });
});

test('Config.Volumes (`-v /data`) become anonymous volumes: bare paths in binds, unless a mount covers them', () => {
  const spec = containerSpecFromDocker({
    Image: 'b',
    Volumes: { '/anon': {}, '/named': {}, '/bound/': {}, '/tmp': {}, '/m': {} },
    HostConfig: { Binds: ['data:/named', '/host:/bound'], Tmpfs: { '/tmp': '' }, Mounts: [{ Type: 'volume', Source: 'x', Target: '/m' }] },
  });
  assert.deepEqual(spec.binds, ['data:/named', '/host:/bound', '/anon']);
  assert.deepEqual(containerSpecFromDocker({ Image: 'b', Volumes: null }).binds, []);
  assert.throws(() => containerSpecFromDocker({ Image: 'b', Volumes: ['/x'] }), /field Volumes/);
});

test('inspect and ps show Config.Volumes as asked, not as binds, and every volume in Mounts', () => {
  const spec = containerSpecFromDocker({ Image: 'b', Volumes: { '/anon': {} }, HostConfig: { Binds: ['/host:/h:ro'] } });
  const anon = 'a'.repeat(64);
  const c = containerFixture({
    spec,
    volumeMounts: { values: [{ name: anon, source: `/s/volumes/${anon}/_data`, destination: '/anon', readOnly: false, anonymous: true }] },
  });
  const i = containerInspect(c) as Record<string, any>;
  assert.deepEqual(i['HostConfig'].Binds, ['/host:/h:ro']);
  assert.deepEqual(i['Config'].Volumes, { '/anon': {} });
  const volume = { Type: 'volume', Name: anon, Source: `/s/volumes/${anon}/_data`, Destination: '/anon', Driver: 'local', Mode: '', RW: true, Propagation: '' };
  const bind = { Type: 'bind', Source: '/host', Destination: '/h', Mode: 'ro', RW: false, Propagation: 'rprivate' };
  assert.deepEqual(i['Mounts'], [bind, volume]);
  assert.deepEqual(containerSummary(c)['Mounts'], [bind, volume]);
});
