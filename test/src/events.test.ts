// One `berth run` publishes pull, create, start, die, destroy on NATS, in that order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth } from './harness/cli.js';

let s: TestStack;
let nc: NatsConnection;
before(async () => {
  s = await startTestStack();
  nc = await connect({ servers: s.stack.natsUrl });
});
after(async () => {
  await nc?.close();
  await s?.stop();
});

test('a run publishes pull, create, start, die, destroy in order, on berth.events.<type>.<action>', async () => {
  const codec = JSONCodec<{ Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; timeNano: number }>();
  const seen: Array<{ subject: string; body: ReturnType<typeof codec.decode> }> = [];
  const sub = nc.subscribe('berth.events.>', { callback: (_err, m) => seen.push({ subject: m.subject, body: codec.decode(m.data) }) });
  await nc.flush();
  const run = await berth(s.socket, ['run', '--rm', '--name', 'evt', s.busybox, 'sh', '-c', 'exit 7']);
  assert.equal(run.code, 7, run.stderr);
  // destroy is published after --rm removal; wait for it rather than sleeping.
  const deadline = Date.now() + 10_000;
  while (!seen.some((e) => e.body.Action === 'destroy') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  sub.unsubscribe();
  const actions = seen.map((e) => `${e.body.Type}.${e.body.Action}`);
  const want = ['image.pull', 'container.create', 'container.start', 'container.die', 'container.destroy'];
  const positions = want.map((w) => actions.indexOf(w));
  assert.ok(positions.every((p) => p >= 0), `missing events in ${actions.join(', ')}`);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, `out of order: ${actions.join(', ')}`);
  for (const e of seen) assert.equal(e.subject, `berth.events.${e.body.Type}.${e.body.Action}`);
  const die = seen.find((e) => e.body.Action === 'die')!;
  assert.equal(die.body.Actor.Attributes.exitCode, '7');
  assert.equal(die.body.Actor.Attributes.name, 'evt');
  const create = seen.find((e) => e.body.Action === 'create')!;
  assert.equal(die.body.Actor.ID, create.body.Actor.ID);
  assert.ok(create.body.timeNano <= die.body.timeNano);
});
