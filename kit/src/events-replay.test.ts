import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNatsServer } from './nats-server.js';
import { connectNats, ensureEventStream, NatsEventPublisher, openEventStream, subscribeEvents } from './nats.js';
import { silentLogger } from './logger.js';
import { setupTelemetry, withSpan } from './telemetry.js';

test('until ends the stream: a past until replays what was stored and ends; a future one ends live', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-replay-'));
  const server = await startNatsServer({ storeDir: dir });
  const nc = await connectNats(server.url, 'kit-test');
  const telemetry = setupTelemetry({ serviceName: 'kit-test' });
  t.after(async () => {
    await nc.close();
    await server.stop();
    await telemetry.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  await ensureEventStream(nc, { maxAgeSeconds: 60, maxBytes: 1 << 20 });
  const pub = new NatsEventPublisher(nc, silentLogger());
  const start = new Date(Date.now() - 1);
  const traceId = 'ab'.repeat(16);
  await withSpan('test.Publish', {}, async (span) => {
    assert.equal(span.spanContext().traceId.length, 32);
    await pub.publish({ type: 'container', action: 'create', actor: { id: 'one' } });
  });
  await pub.publish({ type: 'image', action: 'pull', actor: { id: 'busybox:latest' } });
  const middle = new Date();
  await new Promise((r) => setTimeout(r, 5)); // the clock must move past `middle` (ms resolution)
  await pub.publish({ type: 'container', action: 'start', actor: { id: 'one' } });
  const end = new Date();

  // Past window: replayed, then the iteration ends by itself.
  const all = [];
  for await (const ev of subscribeEvents(nc, { since: start, until: end })) all.push(`${ev.Type}.${ev.Action}`);
  assert.deepEqual(all, ['container.create', 'image.pull', 'container.start']);
  const firstTwo = [];
  for await (const ev of subscribeEvents(nc, { since: start, until: middle })) firstTwo.push(ev.Action);
  assert.deepEqual(firstTwo, ['create', 'pull']);
  const none = [];
  for await (const ev of subscribeEvents(nc, { since: new Date(end.getTime() + 1), until: new Date(end.getTime() + 2) })) none.push(ev);
  assert.deepEqual(none, []);

  // Traceparent travels in the headers.
  const received = [];
  for await (const r of await openEventStream(nc, { since: start, until: end })) received.push(r);
  assert.match(received[0]!.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  assert.equal(received[0]!.subject, 'berth.events.container.create');
  assert.notEqual(received[0]!.traceparent!.split('-')[1], traceId);

  // Future until: live events until then, then the end.
  const live = await openEventStream(nc, { until: new Date(Date.now() + 300) });
  await pub.publish({ type: 'container', action: 'die', actor: { id: 'one' } });
  const got = [];
  for await (const r of live) got.push(r.event.Action);
  assert.deepEqual(got, ['die']);
});
