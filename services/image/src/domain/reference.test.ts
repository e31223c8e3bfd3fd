import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorKind } from '@berth/kit';
import { chainIds, sha256 } from './manifest.js';
import { canonicalString, familiarString, parseReference, remoteName, withDefaultTag } from './reference.js';

describe('image references', () => {
  const cases: Array<[string, string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/me/app:v1', 'docker.io/me/app:v1', 'me/app:v1'],
    ['me/app', 'docker.io/me/app:latest', 'me/app:latest'],
    ['127.0.0.1:5000/busybox', '127.0.0.1:5000/busybox:latest', '127.0.0.1:5000/busybox:latest'],
    ['localhost/a/b:c', 'localhost/a/b:c', 'localhost/a/b:c'],
    ['reg.example.com/x__y/z-1.2', 'reg.example.com/x__y/z-1.2:latest', 'reg.example.com/x__y/z-1.2:latest'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`, `busybox@sha256:${'a'.repeat(64)}`],
  ];
  for (const [input, canonical, familiar] of cases) {
    it(`normalizes ${input}`, () => {
      const ref = withDefaultTag(parseReference(input));
      assert.equal(canonicalString(ref), canonical);
      assert.equal(familiarString(ref), familiar);
    });
  }

  it('refuses what Docker refuses', () => {
    for (const bad of ['', 'Busybox', 'a/B', 'busybox:', 'bad tag', 'a::b', 'x@sha256:abc', '-x', 'a//b', 'a'.repeat(64), `busybox:${'t'.repeat(129)}`]) {
      assert.throws(() => parseReference(bad), (err) => errorKind(err) === 'invalid_argument', bad);
    }
  });

  it('names the remote path as "Pulling from" does', () => {
    assert.equal(remoteName('docker.io/library/busybox'), 'library/busybox');
    assert.equal(remoteName('127.0.0.1:5000/a/b'), 'a/b');
  });

  it('computes OCI chain IDs', () => {
    const [a, b, c] = [sha256(Buffer.from('a')), sha256(Buffer.from('b')), sha256(Buffer.from('c'))];
    const ab = sha256(Buffer.from(`${a} ${b}`));
    assert.deepEqual(chainIds([a, b, c]), [a, ab, sha256(Buffer.from(`${ab} ${c}`))]);
    assert.deepEqual(chainIds([]), []);
  });
});
