import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registry } from '@berth/proto';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startGrpcServer, serve } from './grpc-server.js';
import { createClient, waitForHealthy } from './grpc-client.js';
import { BerthError, isNotFound, errorKind } from './errors.js';
import { silentLogger } from './logger.js';
import { setupTelemetry, withSpan } from './telemetry.js';

// The registry contract is a real generated definition with unary and server-streaming methods,
// so it serves as the fixture service for kit's own gRPC tests (handlers here are test doubles of
// the registry's domain, not of grpc-js: the transport is real).
test('unary, server stream, error kinds and trace context over a unix socket', async (t) => {
  const exporter = new InMemorySpanExporter();
  const telemetry = setupTelemetry({ serviceName: 'kit-test', exporter });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-grpc-'));
  const address = `unix://${dir}/t.sock`;
  const server = await startGrpcServer({
    name: 'test',
    address,
    logger: silentLogger(),
    services: [
      serve(registry.RegistryService, {
        async statBlob(req) {
          if (req.digest === 'missing') throw new BerthError('not_found', 'No such thing: missing');
          if (req.digest === 'boom') throw new Error('/secret/host/path exploded');
          return { size: req.digest.length, mediaType: 'x' };
        },
        async *fetchBlob(req) {
          for (let i = 0; i < 3; i++) yield { data: Buffer.from(req.digest + i), totalSize: 3 };
          if (req.digest === 'liar') throw new BerthError('data_loss', 'digest mismatch');
        },
      }),
    ],
  });
  t.after(async () => {
    await server.close();
    await telemetry.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(statSync(`${dir}/t.sock`).mode & 0o777, 0o660);
  const client = createClient(registry.RegistryService, address);
  t.after(() => client.close());

  const ok = await withSpan('test.Root', {}, () => client.statBlob({ repository: 'r', digest: 'abcd' }));
  assert.equal(ok.size, 4);

  await assert.rejects(client.statBlob({ repository: 'r', digest: 'missing' }), (err) => isNotFound(err) && (err as Error).message === 'No such thing: missing');
  await assert.rejects(client.statBlob({ repository: 'r', digest: 'boom' }), (err) => {
    assert.equal(errorKind(err), 'internal');
    assert.doesNotMatch((err as Error).message, /secret/);
    assert.match((err as Error).message, /reference [0-9a-f]{12}/);
    return true;
  });

  const seen = [];
  for await (const m of client.fetchBlob({ repository: 'r', digest: 'd', offset: 0, intoFile: '' })) seen.push(m.data.toString());
  assert.deepEqual(seen, ['d0', 'd1', 'd2']);
  const partial: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const m of client.fetchBlob({ repository: 'r', digest: 'liar', offset: 0, intoFile: '' })) partial.push(m.data.toString());
    })(),
    (err) => errorKind(err) === 'data_loss',
  );
  assert.equal(partial.length, 3, 'chunks before the failure arrive, then the error');
  await assert.rejects(client.listTags({ repository: 'r' }), (err) => errorKind(err) === 'unimplemented');

  const spans = exporter.getFinishedSpans();
  const root = spans.find((s) => s.name === 'test.Root')!;
  const serverSpan = spans.find((s) => s.name === 'test.StatBlob' && s.parentSpanId === root.spanContext().spanId);
  assert.ok(serverSpan, 'the server span is a child of the client span');
  assert.equal(serverSpan.spanContext().traceId, root.spanContext().traceId);
});

test('a dead server is `unavailable`, named by service, with no socket path', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-grpc-'));
  const client = createClient(registry.RegistryService, `unix://${dir}/gone.sock`);
  try {
    await assert.rejects(client.statBlob({ repository: 'r', digest: 'd' }), (err) => {
      assert.equal(errorKind(err), 'unavailable');
      assert.equal((err as Error).message, 'the registry service is unavailable');
      return true;
    });
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('waitForHealthy sees the built-in health service, and fails fast for a dead address', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-grpc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startGrpcServer({ name: 'h', address: `unix://${dir}/h.sock`, logger: silentLogger(), services: [] });
  await waitForHealthy(server.address, { timeoutMs: 5000 });
  await server.close();
  await assert.rejects(waitForHealthy(`unix://${dir}/h.sock`, { timeoutMs: 300 }), (err) => errorKind(err) === 'unavailable');
});

test('a restarted server is reachable at once: calls made between reconnect attempts wait for the channel (bounded)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-grpc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const address = `unix://${dir}/r.sock`;
  const handlers = {
    async statBlob(req: { digest: string }) {
      return { size: req.digest.length, mediaType: 'x' };
    },
    async *fetchBlob() {
      yield { data: Buffer.from('x'), totalSize: 1 };
    },
  };
  const up = () => startGrpcServer({ name: 'r', address, logger: silentLogger(), services: [serve(registry.RegistryService, handlers)] });
  let server = await up();
  const client = createClient(registry.RegistryService, address, { reconnectWaitMs: 1500 });
  t.after(() => client.close());
  assert.equal((await client.statBlob({ repository: 'r', digest: 'abc' })).size, 3);

  await server.close();
  // Down for a while: calls fail as unavailable, each within the wait budget, and the channel's
  // reconnect backoff grows to its cap meanwhile.
  const downUntil = Date.now() + 2500;
  while (Date.now() < downUntil) {
    const started = Date.now();
    await assert.rejects(client.statBlob({ repository: 'r', digest: 'd' }), (err) => errorKind(err) === 'unavailable');
    assert.ok(Date.now() - started < 1500 + 1000, `a call to a dead server fails within its wait budget (${Date.now() - started} ms)`);
  }
  server = await up();
  t.after(() => server.close());
  // Back: the very next calls get through, unary and streaming.
  assert.equal((await client.statBlob({ repository: 'r', digest: 'abcd' })).size, 4);
  const chunks = [];
  for await (const c of client.fetchBlob({ repository: 'r', digest: 'd', offset: 0, intoFile: '' })) chunks.push(c);
  assert.equal(chunks.length, 1);
});
