import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorReply } from '../error-status.js';
import { decodeRegistryAuth } from '../docker-shapes/registry-auth.js';
import { pushMessages } from '../docker-shapes/push-messages.js';
import { authConfigFromBody } from './auth-routes.js';
import { pushReference } from './image-push-routes.js';

const status = (fn: () => unknown): number => {
  try {
    fn();
  } catch (err) {
    return errorReply(err).status;
  }
  return 0;
};

test('X-Registry-Auth: malformed headers are 400s with a message saying what is expected', () => {
  for (const bad of ['%%%', Buffer.from('{"username":').toString('base64url'), Buffer.from('42').toString('base64url'), Buffer.from('null').toString('base64url')]) {
    assert.equal(status(() => decodeRegistryAuth(bad)), 400, bad);
    assert.throws(() => decodeRegistryAuth(bad), /invalid X-Registry-Auth header: expected base64url-encoded JSON/);
  }
  assert.equal(decodeRegistryAuth(Buffer.from('{}').toString('base64url')), undefined, 'what the docker CLI sends without credentials');
  assert.equal(decodeRegistryAuth(Buffer.from(JSON.stringify({ identitytoken: 'tok' })).toString('base64url'))?.identityToken, 'tok');
});

test('POST /auth body: Docker AuthConfig, legacy `auth`, and 400s for the rest', () => {
  assert.deepEqual(authConfigFromBody({ username: 'u', password: 'p', serveraddress: 'r:5000', email: '' }), {
    username: 'u',
    password: 'p',
    identityToken: '',
    registryToken: '',
    serverAddress: 'r:5000',
  });
  assert.equal(authConfigFromBody({ auth: Buffer.from('u:p:q').toString('base64'), serveraddress: 'r' }).password, 'p:q');
  assert.equal(authConfigFromBody({ identitytoken: 't', serveraddress: 'r' }).identityToken, 't');
  for (const bad of [undefined, null, 'x', [1], {}, { username: 5 }, { password: 'p' }, { auth: Buffer.from('nocolon').toString('base64') }]) {
    assert.equal(status(() => authConfigFromBody(bad)), 400, JSON.stringify(bad));
  }
});

test('push reference: name + tag query, a tag in the name, all tags, no digests', () => {
  assert.equal(pushReference('127.0.0.1:5000/app', 'v1'), '127.0.0.1:5000/app:v1');
  assert.equal(pushReference('127.0.0.1:5000/app:v2', ''), '127.0.0.1:5000/app:v2');
  assert.equal(pushReference('127.0.0.1:5000/app', ''), '127.0.0.1:5000/app');
  assert.equal(pushReference('busybox', 'latest'), 'docker.io/library/busybox:latest');
  assert.equal(status(() => pushReference(`r:1/app@sha256:${'a'.repeat(64)}`, '')), 400);
  assert.equal(status(() => pushReference('UPPER', '')), 400);
});

test("push messages: Docker's layer lines and the aux message after the digest line", () => {
  assert.deepEqual(pushMessages({ id: '', status: 'The push refers to repository [r:1/app]', current: 0, total: 0 }), [
    { status: 'The push refers to repository [r:1/app]' },
  ]);
  const [pushing] = pushMessages({ id: '0123456789ab', status: 'Pushing', current: 512, total: 1024 }) as Array<{ status?: string; progressDetail?: unknown }>;
  assert.equal(pushing!.status, 'Pushing');
  assert.deepEqual(pushing!.progressDetail, { current: 512, total: 1024 });
  const digest = `sha256:${'b'.repeat(64)}`;
  assert.deepEqual(pushMessages({ id: '', status: `v1: digest: ${digest} size: 527`, current: 0, total: 0, pushed: { tag: 'v1', digest, size: 527 } }), [
    { status: `v1: digest: ${digest} size: 527` },
    { progressDetail: {}, aux: { Tag: 'v1', Digest: digest, Size: 527 } },
  ]);
});
