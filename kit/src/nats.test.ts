import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNatsServer } from './nats-server.js';
import { connectNats, ensureEventStream, NatsEventPublisher, subscribeEvents } from './nats.js';
import { silentLogger } from './logger.js';
import type { DockerEvent } from './events.js';

test('events go to JetStream on berth.events.<type>.<action> and replay with since', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-nats-'));
  const server = await startNatsServer({ storeDir: dir });
  const nc = await connectNats(server.url, 'kit-test');
  t.after(async () => {
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await ensureEventStream(nc, { maxAgeSeconds: 60, maxBytes: 1 << 20 });
  await ensureEventStream(nc, { maxAgeSeconds: 60, maxBytes: 1 << 20 }); // idempotent
  const raw: string[] = [];
  const sub = nc.subscribe('berth.events.>', { callback: (_e, m) => raw.push(m.subject) });
  const before = new Date(Date.now() - 1000);
  const pub = new NatsEventPublisher(nc, silentLogger());
  await pub.publish({ type: 'container', action: 'create', actor: { id: 'abc', attributes: { name: 'web', image: 'busybox' } } });
  await pub.publish({ type: 'container', action: 'start', actor: { id: 'abc', attributes: { name: 'web' } } });
  await nc.flush();
  sub.unsubscribe();
  assert.deepEqual(raw, ['berth.events.container.create', 'berth.events.container.start']);

  const got: DockerEvent[] = [];
  const ac = new AbortController();
  for await (const ev of subscribeEvents(nc, { since: before, signal: ac.signal })) {
    got.push(ev);
    if (got.length === 2) ac.abort();
  }
  assert.deepEqual(got.map((e) => [e.Type, e.Action, e.Actor.ID]), [['container', 'create', 'abc'], ['container', 'start', 'abc']]);
  assert.equal(got[0]!.Actor.Attributes.name, 'web');
  assert.equal(got[0]!.from, 'busybox');
  assert.ok(got[0]!.timeNano > before.getTime() * 1e6);
});
