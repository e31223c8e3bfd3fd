// One `berth run` is one trace across gateway, image, registry and runtime. The services run
// in-process here so an in-memory exporter sees every span; the transports (HTTP on a unix socket,
// gRPC on unix sockets) and the containers are real.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig, setupTelemetry, silentLogger, RecordingEventPublisher, type Telemetry } from '@berth/kit';
import { startRegistry, busyboxImage, pushImage, type RegistryFixture } from '@berth/fixtures';
import * as registrySvc from '@berth/registry';
import * as imageSvc from '@berth/image';
import * as runtimeSvc from '@berth/runtime';
import * as gateway from '@berth/gateway';
import { api } from './harness/api.js';
import { berth } from './harness/cli.js';
import { removeCgroupParent, unmountUnder } from './harness/leaks.js';

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let root: string;
let registry: RegistryFixture;
const closers: Array<() => Promise<void>> = [];
let socket: string;
const cgroupParent = `berth-trace-${randomBytes(3).toString('hex')}`;

before(async () => {
  telemetry = setupTelemetry({ serviceName: 'berth-test', exporter });
  root = mkdtempSync(path.join(os.tmpdir(), 'berth-trace-'));
  registry = await startRegistry();
  const img = await busyboxImage({ format: 'docker' });
  await pushImage(registry.host, 'busybox', 'latest', img);
  await img.dispose();
  const config = loadConfig({
    file: null,
    env: {
      BERTH_STATE_ROOT: path.join(root, 'state'),
      BERTH_RUN_ROOT: path.join(root, 'run'),
      BERTH_CGROUP_PARENT: cgroupParent,
    },
  });
  const deps = { logger: silentLogger(), events: new RecordingEventPublisher() };
  const reg = await registrySvc.start(config, deps);
  closers.unshift(() => reg.close());
  const img2 = await imageSvc.start(config, deps);
  closers.unshift(() => img2.close());
  const rt = await runtimeSvc.start(config, { ...deps, network: null });
  closers.unshift(() => rt.close());
  const gw = await gateway.start(config, { logger: deps.logger });
  closers.unshift(() => gw.close());
  socket = gw.socketPath;
});

after(async () => {
  if (socket) {
    const list = await api(socket, 'GET', '/containers/json?all=1');
    for (const c of (list.json as Array<{ Id: string }>) ?? []) await api(socket, 'DELETE', `/containers/${c.Id}?force=1`);
  }
  for (const close of closers) await close();
  await registry?.stop();
  await telemetry?.shutdown();
  await unmountUnder(root);
  removeCgroupParent(cgroupParent);
  rmSync(root, { recursive: true, force: true });
});

test('the requests of one run share one trace spanning gateway, image, registry and runtime', async () => {
  // What `berth run` does, with the one traceparent the CLI sends on each of its requests.
  const traceId = randomBytes(16).toString('hex');
  const headers = { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
  const image = `${registry.host}/busybox`;
  const pull = await api(socket, 'POST', `/images/create?fromImage=${encodeURIComponent(image)}&tag=latest`, undefined, headers);
  assert.equal(pull.status, 200, pull.text);
  const create = await api(socket, 'POST', '/containers/create', { Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }, headers);
  assert.equal(create.status, 201, create.text);
  const id = (create.json as { Id: string }).Id;
  assert.equal((await api(socket, 'POST', `/containers/${id}/start`, undefined, headers)).status, 204);
  const wait = await api(socket, 'POST', `/containers/${id}/wait`, undefined, headers);
  assert.equal((wait.json as { StatusCode: number }).StatusCode, 0);

  const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const names = new Set(spans.map((s) => s.name));
  const has = (prefix: string) => [...names].some((n) => n.startsWith(prefix));
  assert.ok(has('gateway.') || has('http.') || has('GET') || has('POST'), `gateway spans in ${[...names].join(', ')}`);
  assert.ok(has('image.'), `image spans in ${[...names].join(', ')}`);
  assert.ok(has('registry.'), `registry spans in ${[...names].join(', ')}`);
  assert.ok(has('runtime.') || has('container.'), `runtime spans in ${[...names].join(', ')}`);
});

test('the berth CLI sends one traceparent for all the requests of a run', async () => {
  exporter.reset();
  const run = await berth(socket, ['run', '--rm', '--network', 'none', `${registry.host}/busybox`, 'true']);
  assert.equal(run.code, 0, run.stderr);
  const serverSpans = exporter.getFinishedSpans().filter((s) => s.name.startsWith('runtime.') || s.name.startsWith('container.'));
  const traces = new Set(serverSpans.map((s) => s.spanContext().traceId));
  assert.equal(traces.size, 1, `runtime spans belong to ${traces.size} traces`);
});
