import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeHost } from '../host-facts.js';
import { systemInfo, systemVersion } from './system-shapes.js';
import { encodeLogEntry, logContentType } from './log-stream.js';

const engine = { version: '0.1.0', gitCommit: 'abc', buildTime: '2024-01-01T00:00:00Z', id: 'id-1', rootDir: '/var/lib/berth', insecureRegistries: ['127.0.0.1:5000'] };

test('systemVersion names the platform and the API versions', () => {
  const v = systemVersion(engine, probeHost()) as Record<string, any>;
  assert.equal(v['Platform'].Name, 'berth');
  assert.equal(v['Components'][0].Name, 'Engine');
  assert.equal(v['ApiVersion'], '1.45');
  assert.equal(v['MinAPIVersion'], '1.24');
  assert.match(v['GoVersion'], /^node v\d+/);
  assert.equal(v['Os'], 'linux');
});

test('systemInfo has every field docker info reads, with Docker\'s types', () => {
  const host = probeHost();
  const i = systemInfo(engine, host, { containers: 3, running: 1, paused: 0, stopped: 2, images: 4 }, ['WARNING: x']) as Record<string, any>;
  assert.equal(i['Containers'], 3);
  assert.equal(i['ContainersRunning'], 1);
  assert.equal(i['Images'], 4);
  assert.equal(i['Driver'], 'overlay2');
  assert.ok(Array.isArray(i['DriverStatus']));
  assert.equal(i['CgroupDriver'], 'cgroupfs');
  assert.ok(['1', '2'].includes(i['CgroupVersion']));
  assert.deepEqual(i['Runtimes'], { runc: { path: 'runc' } });
  assert.equal(i['Swarm'].LocalNodeState, 'inactive');
  assert.deepEqual(i['SecurityOptions'], ['name=seccomp,profile=builtin']);
  assert.equal(typeof i['NCPU'], 'number');
  assert.equal(typeof i['MemTotal'], 'number');
  assert.equal(i['RegistryConfig'].IndexConfigs['127.0.0.1:5000'].Secure, false);
  assert.ok((i['Warnings'] as string[]).includes('WARNING: x'));
  for (const key of ['ID', 'Plugins', 'KernelVersion', 'OperatingSystem', 'OSType', 'Architecture', 'Name', 'ServerVersion', 'DockerRootDir', 'DefaultRuntime', 'ContainerdCommit', 'RuncCommit', 'InitCommit']) {
    assert.ok(key in i, key);
  }
});

test('log entries are framed unless the container has a TTY', () => {
  const entry = { stream: 2, data: Buffer.from('oops\n'), timestamp: '2024-01-01T00:00:00.000000001Z' };
  assert.deepEqual([...encodeLogEntry(entry, { tty: false, timestamps: false })], [2, 0, 0, 0, 0, 0, 0, 5, ...Buffer.from('oops\n')]);
  assert.equal(encodeLogEntry(entry, { tty: true, timestamps: true }).toString(), '2024-01-01T00:00:00.000000001Z oops\n');
  assert.equal(logContentType(false), 'application/vnd.docker.multiplexed-stream');
  assert.equal(logContentType(true), 'application/vnd.docker.raw-stream');
});
