// Each process serves Prometheus metrics on its own loopback port (config.metrics.<service>),
// the gateway also on its socket; the text parses strictly and the numbers move with work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth } from './harness/cli.js';
import { freePort } from '@berth/fixtures';
import { parsePrometheus, value, type Family } from './harness/prometheus.js';

const SERVICES = ['image', 'registry', 'runtime', 'network', 'gateway'] as const;
let s: TestStack;
const addresses: Record<string, string> = {};

function scrapeText(target: { host: string } | { socketPath: string }): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const opts = 'host' in target ? { host: '127.0.0.1', port: Number(target.host.split(':')[1]) } : { socketPath: target.socketPath };
    http.get({ ...opts, path: '/metrics' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }));
    }).on('error', reject);
  });
}

async function scrape(service: string): Promise<Map<string, Family>> {
  const res = await scrapeText({ host: addresses[service]! });
  assert.equal(res.status, 200);
  assert.match(res.type, /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.text);
}

before(async () => {
  const env: Record<string, string> = {};
  for (const name of SERVICES) {
    addresses[name] = `127.0.0.1:${await freePort()}`;
    env[`BERTH_METRICS_${name.toUpperCase()}`] = addresses[name]!;
  }
  s = await startTestStack({ env });
});
after(async () => {
  await s?.stop();
});

test('every service serves /metrics in the Prometheus text format, and the numbers move with a run', async () => {
  const before = Object.fromEntries(await Promise.all(SERVICES.map(async (n) => [n, await scrape(n)] as const)));
  for (const n of SERVICES) {
    assert.ok(value(before[n]!, 'berth_process_resident_memory_bytes')! > 0, `${n}: process metrics`);
    assert.equal(before[n]!.get('berth_grpc_server_requests_total')?.type, 'counter', `${n}: rpc counter declared`);
  }
  const run = await berth(s.socket, ['run', '-d', '--name', 'metered', s.busybox, 'sh', '-c', 'while true; do :; done']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  const after = Object.fromEntries(await Promise.all(SERVICES.map(async (n) => [n, await scrape(n)] as const)));
  const moved = (service: string, name: string, labels: Record<string, string>) =>
    (value(after[service]!, name, labels) ?? 0) - (value(before[service]!, name, labels) ?? 0);

  const rpc = (service: string, method: string) => ({ service, method, code: 'OK' });
  assert.ok(moved('runtime', 'berth_grpc_server_requests_total', rpc('runtime', 'berth.runtime.v1.Containers/CreateContainer')) >= 1);
  assert.ok(moved('runtime', 'berth_grpc_server_duration_seconds_count', { method: 'berth.runtime.v1.Containers/StartContainer' }) >= 1);
  assert.ok(moved('image', 'berth_grpc_server_requests_total', rpc('image', 'berth.image.v1.Images/PullImage')) >= 1);
  assert.ok(moved('registry', 'berth_grpc_server_requests_total', rpc('registry', 'berth.registry.v1.Registry/Resolve')) >= 1);
  assert.ok(moved('network', 'berth_grpc_server_requests_total', rpc('network', 'berth.network.v1.Networks/SetupSandbox')) >= 1);
  assert.ok(moved('gateway', 'berth_http_requests_total', { route: 'container.Create', code: '201' }) >= 1);
  assert.ok(moved('gateway', 'berth_http_requests_total', { route: 'image.Pull', code: '200' }) >= 1, 'the CLI pulled through the API');
  assert.ok(moved('runtime', 'berth_events_published_total', { type: 'container', action: 'start' }) >= 1);
  assert.equal(moved('image', 'berth_image_pulls_total', { result: 'success' }), 1);
  assert.ok(moved('image', 'berth_image_pull_bytes_total', {}) > 100_000, 'the busybox layer was downloaded');
  assert.ok(value(after.image!, 'berth_images')! >= 1);

  // Runtime gauges are read at scrape time: state counts and the container's cgroup.
  assert.ok(value(after.runtime!, 'berth_containers', { state: 'running' })! >= 1);
  const cpu1 = value(after.runtime!, 'berth_container_cpu_seconds_total', { id, name: 'metered' });
  assert.ok(value(after.runtime!, 'berth_container_memory_bytes', { id })! > 0);
  assert.ok(cpu1 !== undefined);
  // The busy loop burns CPU: the counter moves between scrapes.
  const deadline = Date.now() + 10_000;
  let cpu2 = cpu1;
  while (cpu2 === cpu1 && Date.now() < deadline) cpu2 = value(await scrape('runtime'), 'berth_container_cpu_seconds_total', { id }) ?? cpu1;
  assert.ok(cpu2! > cpu1!, 'cpu seconds move');

  assert.equal((await berth(s.socket, ['rm', '-f', id])).code, 0);
  const gone = await scrape('runtime');
  assert.equal(value(gone, 'berth_container_memory_bytes', { id }), undefined);
  assert.equal(value(gone, 'berth_containers', { state: 'running' }), value(before.runtime!, 'berth_containers', { state: 'running' }) ?? 0);
});

test('the gateway also answers GET /metrics on the Engine API socket', async () => {
  const res = await scrapeText({ socketPath: s.socket });
  assert.equal(res.status, 200);
  const families = parsePrometheus(res.text);
  assert.ok((value(families, 'berth_http_requests_total', {}) ?? 0) > 0);
  assert.equal(families.get('berth_http_request_duration_seconds')?.type, 'histogram');
});
