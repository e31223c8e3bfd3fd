import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarTagged, looksLikeImageId, parseImageRef, pullReference, referenceString } from './image-reference.js';

test('pullReference combines fromImage and tag (a tag or a digest), defaulting to latest', () => {
  const digest = 'sha256:' + 'a'.repeat(64);
  assert.equal(referenceString(pullReference('busybox', 'latest')), 'docker.io/library/busybox:latest');
  assert.equal(referenceString(pullReference('busybox', '')), 'docker.io/library/busybox:latest');
  assert.equal(referenceString(pullReference('busybox:1.36', '')), 'docker.io/library/busybox:1.36');
  assert.equal(referenceString(pullReference('docker.io/library/busybox', digest)), `docker.io/library/busybox@${digest}`);
  assert.equal(referenceString(pullReference('localhost:5000/x', 'v1')), 'localhost:5000/x:v1');
  assert.equal(pullReference('127.0.0.1:5000/tools/bb', 'v2').path, 'tools/bb');
});

test('invalid references are 400s with Docker\'s wording', () => {
  assert.throws(() => parseImageRef('UPPER/Case::x'), { kind: 'invalid_argument', message: /invalid reference format/ });
  assert.throws(() => pullReference('a//b', 'x'), { kind: 'invalid_argument' });
});

test('familiarTagged names images as Docker\'s messages do', () => {
  assert.equal(familiarTagged('hello-world'), 'hello-world:latest');
  assert.equal(familiarTagged('docker.io/library/hello-world'), 'hello-world:latest');
  assert.equal(familiarTagged('localhost:5000/busybox'), 'localhost:5000/busybox:latest');
  assert.equal(familiarTagged('user/app:1'), 'user/app:1');
});

test('looksLikeImageId', () => {
  assert.ok(looksLikeImageId('sha256:' + 'a'.repeat(64)));
  assert.ok(looksLikeImageId('0123456789ab'));
  assert.ok(!looksLikeImageId('busybox'));
});
