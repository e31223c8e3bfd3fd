import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { registry } from '@berth/proto';
import { startGrpcServer, serve } from './grpc-server.js';
import { createClient } from './grpc-client.js';
import { BerthError } from './errors.js';
import { silentLogger } from './logger.js';
import { processMetrics, registerCollector } from './metrics.js';
import { startMetricsServer } from './metrics-server.js';

function get(address: string, urlPath: string): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    http.get(`http://${address}${urlPath}`, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }));
    }).on('error', reject);
  });
}

/** `name{labels} value` lines of the text format, by name + sorted labels. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (m) out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}

test('/metrics counts RPCs by method and code, and renders scrape-time collectors', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-metrics-'));
  const server = await startGrpcServer({
    name: 'mtest',
    address: `unix://${dir}/m.sock`,
    logger: silentLogger(),
    services: [
      serve(registry.RegistryService, {
        async statBlob(req) {
          if (req.digest === 'missing') throw new BerthError('not_found', 'no');
          return { size: 1, mediaType: 'x' };
        },
      }),
    ],
  });
  const metrics = await startMetricsServer({ address: '127.0.0.1:0', logger: silentLogger() });
  const unregister = registerCollector('kit-test', () => [
    { name: 'berth_test_things', help: 'Things "quoted"\nand more', type: 'gauge', samples: [{ labels: { kind: 'a"b\\c' }, value: 3 }] },
  ]);
  const client = createClient(registry.RegistryService, server.address);
  t.after(async () => {
    client.close();
    unregister();
    await metrics.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const key = (code: string) => `berth_grpc_server_requests_total{service="mtest",method="berth.registry.v1.Registry/StatBlob",code="${code}"}`;
  const before = samples((await get(metrics.address, '/metrics')).text);
  await client.statBlob({ repository: 'r', digest: 'x' });
  await client.statBlob({ repository: 'r', digest: 'x' });
  await assert.rejects(client.statBlob({ repository: 'r', digest: 'missing' }));
  const res = await get(metrics.address, '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.type, /^text\/plain; version=0\.0\.4/);
  const after = samples(res.text);
  assert.equal((after.get(key('OK')) ?? 0) - (before.get(key('OK')) ?? 0), 2);
  assert.equal((after.get(key('NOT_FOUND')) ?? 0) - (before.get(key('NOT_FOUND')) ?? 0), 1);
  assert.ok((after.get('berth_grpc_server_errors_total{service="mtest",method="berth.registry.v1.Registry/StatBlob",kind="not_found"}') ?? 0) >= 1);
  assert.ok((after.get('berth_grpc_server_duration_seconds_count{service="mtest",method="berth.registry.v1.Registry/StatBlob"}') ?? 0) >= 3);
  assert.equal(after.get('berth_test_things{kind="a\\"b\\\\c"}'), 3);
  assert.match(res.text, /# HELP berth_test_things Things "quoted"\\nand more\n# TYPE berth_test_things gauge\n/);
  assert.ok(after.has('berth_process_resident_memory_bytes'), 'process metrics are on');
  assert.equal((await get(metrics.address, '/other')).status, 404);
  assert.ok(processMetrics().contentType.startsWith('text/plain'));
});

test('server reflection lists what the server serves, from the shipped .proto files', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-refl-'));
  const server = await startGrpcServer({ name: 'rtest', address: `unix://${dir}/r.sock`, logger: silentLogger(), services: [serve(registry.RegistryService, {})] });
  const require = createRequire(import.meta.url);
  const reflectionProto = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
  const def = grpc.loadPackageDefinition(protoLoader.loadSync(reflectionProto, { keepCase: true })) as any;
  const client = new def.grpc.reflection.v1.ServerReflection(server.address, grpc.credentials.createInsecure());
  t.after(async () => {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ask = (req: object) =>
    new Promise<any>((resolve, reject) => {
      const call = client.ServerReflectionInfo();
      call.on('data', (d: unknown) => (resolve(d), call.end()));
      call.on('error', reject);
      call.write(req);
    });
  const list = await ask({ list_services: '' });
  const names = list.list_services_response.service.map((s: { name: string }) => s.name).sort();
  assert.deepEqual(names, ['berth.registry.v1.Registry', 'grpc.health.v1.Health']);
  const file = await ask({ file_containing_symbol: 'berth.registry.v1.Registry' });
  assert.ok(file.file_descriptor_response.file_descriptor_proto.length >= 1, 'descriptors for the symbol and its imports');
});
