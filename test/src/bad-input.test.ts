// Bad input gets Docker's status codes and clear messages, and loses nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { busyboxImage, corruptBlob, pushImage } from '@berth/fixtures';
import { startTestStack, type TestStack } from './harness/stack.js';
import { api } from './harness/api.js';

let s: TestStack;
before(async () => {
  s = await startTestStack();
});
after(async () => {
  await s?.stop();
});

const message = (r: { json: unknown }) => (r.json as { message?: string } | undefined)?.message ?? '';

test('unknown image → 404 with a clear message', async () => {
  const r = await api(s.socket, 'POST', '/containers/create', { Image: 'nosuch/image:1' });
  assert.equal(r.status, 404);
  assert.match(message(r), /No such image: nosuch\/image:1/);
  const i = await api(s.socket, 'GET', '/images/nosuch/json');
  assert.equal(i.status, 404);
  const pull = await api(s.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(`${s.registry.host}/nosuch`)}&tag=latest`);
  assert.equal(pull.status, 404, pull.text);
  assert.match(message(pull), /not found|manifest unknown/);
});

test('malformed JSON → 400; invalid reference → 400; unknown container → 404', async () => {
  const bad = await api(s.socket, 'POST', '/containers/create', '{"Image": ');
  assert.equal(bad.status, 400);
  assert.ok(message(bad).length > 0);
  const ref = await api(s.socket, 'POST', '/containers/create', { Image: 'UPPER/Case::x' });
  assert.equal(ref.status, 400, ref.text);
  assert.match(message(ref), /invalid reference format/);
  const pull = await api(s.socket, 'POST', '/images/create?fromImage=a//b&tag=x');
  assert.equal(pull.status, 400);
  const c = await api(s.socket, 'POST', '/containers/nope/start');
  assert.equal(c.status, 404);
  assert.match(message(c), /No such container: nope/);
  const unknown = await api(s.socket, 'GET', '/no/such/route');
  assert.equal(unknown.status, 404);
});

test('duplicate name → 409', async () => {
  const pull = await api(s.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(s.busybox)}&tag=latest`);
  assert.equal(pull.status, 200, pull.text);
  const a = await api(s.socket, 'POST', '/containers/create?name=twin', { Image: s.busybox, Cmd: ['true'] });
  assert.equal(a.status, 201, a.text);
  const b = await api(s.socket, 'POST', '/containers/create?name=twin', { Image: s.busybox, Cmd: ['true'] });
  assert.equal(b.status, 409);
  assert.match(message(b), /Conflict\. The container name "\/twin" is already in use/);
  assert.equal((await api(s.socket, 'DELETE', `/containers/twin`)).status, 204);
});

test('a layer whose bytes do not match its digest fails the pull and stores nothing', async () => {
  // A layer of its own (the busybox layer is shared with the good image and may be stored already).
  const img = await busyboxImage({ format: 'docker', extraLayers: [(l) => l.file('/liar.txt', `lie ${Date.now()}\n`)] });
  const liar = img.layers[1]!;
  try {
    await pushImage(s.registry.host, 'liar', 'latest', img);
    await corruptBlob(s.registry, liar.digest);
  } finally {
    await img.dispose();
  }
  const pull = await api(s.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(`${s.registry.host}/liar`)}&tag=latest`);
  // The progress stream has started (200) before the layer arrives: the error is in the stream.
  assert.equal(pull.status, 200);
  assert.match(pull.text, /"error(Detail)?":/);
  assert.match(pull.text, /digest/i);
  const inspect = await api(s.socket, 'GET', `/images/${encodeURIComponent(`${s.registry.host}/liar`)}/json`);
  assert.equal(inspect.status, 404);
  const blobs = path.join(s.env.BERTH_STATE_ROOT!, 'image/content/blobs/sha256');
  if (existsSync(blobs)) {
    const hex = liar.digest.replace('sha256:', '');
    assert.ok(!readdirSync(blobs).includes(hex), 'the corrupt layer is not in the content store');
  }
});
