import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from './router.js';
import { API_VERSION, compareVersions, splitVersion } from './api-version.js';

const noop = async () => undefined;

test('routes match literal paths first and greedy image names', () => {
  const router = new Router()
    .get('/images/json', 'image.List', noop)
    .get('/images/:name*/json', 'image.Inspect', noop)
    .delete('/images/:name*', 'image.Remove', noop)
    .post('/containers/:id/start', 'container.Start', noop);
  assert.equal(router.match('GET', '/images/json')?.name, 'image.List');
  assert.deepEqual(router.match('GET', '/images/localhost:5000/library/busybox:1.36/json')?.params, {
    name: 'localhost:5000/library/busybox:1.36',
  });
  assert.deepEqual(router.match('DELETE', '/images/busybox%3Alatest')?.params, { name: 'busybox:latest' });
  assert.deepEqual(router.match('POST', '/containers/abc/start')?.params, { id: 'abc' });
  assert.equal(router.match('GET', '/containers/abc/start'), undefined);
  assert.equal(router.match('POST', '/containers/a/b/start'), undefined);
});

test('splitVersion strips the /v1.NN prefix and refuses versions below the minimum', () => {
  assert.deepEqual(splitVersion('/v1.45/containers/json'), { version: '1.45', path: '/containers/json' });
  assert.deepEqual(splitVersion('/v1.50/_ping'), { version: '1.50', path: '/_ping' });
  assert.deepEqual(splitVersion('/info'), { version: API_VERSION, path: '/info' });
  assert.throws(() => splitVersion('/v1.12/info'), /client version 1.12 is too old. Minimum supported API version is 1.24/);
});

test('compareVersions compares numerically', () => {
  assert.ok(compareVersions('1.9', '1.24') < 0);
  assert.ok(compareVersions('1.47', '1.45') > 0);
  assert.equal(compareVersions('1.45', '1.45'), 0);
});
