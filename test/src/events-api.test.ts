// GET /events on the gateway: live streaming with Docker's filters, since/until replay from
// JetStream, and the same through the stock docker CLI and the berth CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth, docker, DOCKER_CLI } from './harness/cli.js';
import { openEventStream, readAllEvents } from './harness/event-stream.js';
import { api } from './harness/api.js';
import { existsSync } from 'node:fs';

let s: TestStack;
let t0: number;
let t1: number;
const unix = (ms: number) => (ms / 1000).toFixed(3);
const q = (filters: Record<string, string[]>) => encodeURIComponent(JSON.stringify(filters));

before(async () => {
  s = await startTestStack();
});
after(async () => {
  await s?.stop();
});

test('a live /events stream delivers a run as it happens, filtered as Docker filters', async () => {
  t0 = Date.now();
  const all = await openEventStream(s.socket, '/events');
  const onlyDie = await openEventStream(s.socket, `/v1.45/events?filters=${q({ type: ['container'], event: ['die'], container: ['evapi'] })}`);
  try {
    assert.equal(all.status, 200);
    const run = await berth(s.socket, ['run', '--rm', '--name', 'evapi', '--label', 'suite=events', s.busybox, 'sh', '-c', 'exit 3']);
    assert.equal(run.code, 3, run.stderr);
    const seen = await all.until((e) => e.Type === 'container' && e.Action === 'destroy');
    const actions = seen.map((e) => `${e.Type}.${e.Action}`);
    for (const want of ['image.pull', 'container.create', 'container.start', 'container.die', 'container.destroy']) {
      assert.ok(actions.includes(want), `${want} in ${actions.join(', ')}`);
    }
    const die = seen.find((e) => e.Action === 'die')!;
    assert.equal(die.Actor.Attributes.exitCode, '3');
    assert.equal(die.Actor.Attributes.suite, 'events');
    assert.equal(die.status, 'die');
    assert.equal(die.id, die.Actor.ID);
    assert.equal(typeof die.timeNano, 'number');
    const filtered = await onlyDie.next();
    assert.equal(filtered?.Action, 'die');
    assert.equal(filtered?.Actor.Attributes.name, 'evapi');
  } finally {
    all.close();
    onlyDie.close();
  }
  t1 = Date.now() + 1;
});

test('since/until replay stored events and end the stream; filters apply to the replay', async () => {
  const replay = await readAllEvents(s.socket, `/events?since=${unix(t0)}&until=${unix(t1)}`);
  assert.equal(replay.status, 200);
  const actions = replay.events.map((e) => `${e.Type}.${e.Action}`);
  assert.ok(['image.pull', 'container.create', 'container.start', 'container.die', 'container.destroy'].every((a) => actions.includes(a)), actions.join(', '));
  assert.ok(replay.events.every((e) => e.timeNano >= t0 * 1e6 && e.timeNano <= t1 * 1e6));
  const images = await readAllEvents(s.socket, `/events?since=${unix(t0)}&until=${unix(t1)}&filters=${q({ type: ['image'] })}`);
  assert.deepEqual(images.events.map((e) => e.Action), ['pull']);
  const byLabel = await readAllEvents(s.socket, `/events?since=${new Date(t0).toISOString()}&until=${unix(t1)}&filters=${q({ label: ['suite=events'], event: ['start'] })}`);
  assert.deepEqual(byLabel.events.map((e) => e.Action), ['start']);
  // A future `until` ends the live stream when it comes.
  const soon = await readAllEvents(s.socket, `/events?until=${unix(Date.now() + 300)}&filters=${q({ type: ['daemon'] })}`);
  assert.deepEqual(soon.events, []);
  const bad = await api(s.socket, 'GET', `/events?filters=${q({ colour: ['red'] })}`);
  assert.equal(bad.status, 400);
  assert.match(bad.text, /invalid filter 'colour'/);
});

test('berth events and docker events replay a window with --since/--until/--filter/--format', async (t) => {
  const mine = await berth(s.socket, ['events', '--since', unix(t0), '--until', unix(t1), '--filter', 'container=evapi', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
  assert.equal(mine.code, 0, mine.stderr);
  const lines = mine.stdout.trim().split('\n');
  assert.deepEqual(lines.filter((l) => /start|die|destroy/.test(l)), ['container start evapi', 'container die evapi', 'container destroy evapi']);
  const pretty = await berth(s.socket, ['events', '--since', unix(t0), '--until', unix(t1), '--filter', 'event=die']);
  assert.match(pretty.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container die [0-9a-f]{64} \(.*exitCode=3.*name=evapi.*\)$/m);
  if (!existsSync(DOCKER_CLI)) return t.skip(`no docker CLI at ${DOCKER_CLI}`);
  const theirs = await docker(s.socket, ['events', '--since', new Date(t0).toISOString(), '--until', unix(t1), '--filter', 'type=container', '--filter', 'event=start', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
  assert.equal(theirs.code, 0, theirs.stderr);
  assert.equal(theirs.stdout.trim(), 'start evapi');
  const json = await docker(s.socket, ['events', '--since', unix(t0), '--until', unix(t1), '--filter', `image=${s.busybox}`, '--format', '{{json .}}']);
  assert.ok(json.stdout.trim().split('\n').map((l) => JSON.parse(l)).some((e) => e.Action === 'create'), json.stdout);
});
