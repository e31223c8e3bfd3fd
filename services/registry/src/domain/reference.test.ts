import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isInvalidArgument } from '@berth/kit';
import {
  familiarName,
  familiarString,
  parseDockerRef,
  parseReference,
  parseRepository,
  referenceString,
  registryHostOf,
  repositoryName,
  withDefaultTag,
} from './reference.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseReference', () => {
  // input → [domain, path, tag, digest, familiar string]
  const valid: Array<[string, string, string, string | undefined, string | undefined, string]> = [
    ['busybox', 'docker.io', 'library/busybox', undefined, undefined, 'busybox'],
    ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined, 'busybox:1.36'],
    [`busybox@${D}`, 'docker.io', 'library/busybox', undefined, D, `busybox@${D}`],
    [`busybox:1.36@${D}`, 'docker.io', 'library/busybox', '1.36', D, `busybox:1.36@${D}`],
    ['user/app', 'docker.io', 'user/app', undefined, undefined, 'user/app'],
    ['docker.io/busybox', 'docker.io', 'library/busybox', undefined, undefined, 'busybox'],
    ['index.docker.io/library/busybox:latest', 'docker.io', 'library/busybox', 'latest', undefined, 'busybox:latest'],
    ['docker.io/library/a/b', 'docker.io', 'library/a/b', undefined, undefined, 'library/a/b'],
    ['127.0.0.1:5000/busybox', '127.0.0.1:5000', 'busybox', undefined, undefined, '127.0.0.1:5000/busybox'],
    ['localhost/app:v1', 'localhost', 'app', 'v1', undefined, 'localhost/app:v1'],
    ['localhost:5000/a/b/c:t', 'localhost:5000', 'a/b/c', 't', undefined, 'localhost:5000/a/b/c:t'],
    ['[::1]:5000/app', '[::1]:5000', 'app', undefined, undefined, '[::1]:5000/app'],
    ['ghcr.io/org/img_x.y-z__w:Tag_1.0-rc', 'ghcr.io', 'org/img_x.y-z__w', 'Tag_1.0-rc', undefined, 'ghcr.io/org/img_x.y-z__w:Tag_1.0-rc'],
    ['Registry.Example.com/app', 'Registry.Example.com', 'app', undefined, undefined, 'Registry.Example.com/app'],
    // "localhost:5000" alone is the image "localhost" with tag "5000", as in Docker.
    ['localhost:5000', 'docker.io', 'library/localhost', '5000', undefined, 'localhost:5000'],
  ];
  for (const [input, domain, path, tag, digest, familiar] of valid) {
    it(`parses ${input}`, () => {
      const ref = parseReference(input);
      assert.deepEqual(ref, { domain, path, ...(tag && { tag }), ...(digest && { digest }) });
      assert.equal(familiarString(ref), familiar);
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ['', /repository name must have at least one component/],
    ['Busybox', /invalid reference format: repository name \(library\/Busybox\) must be lowercase/],
    ['example.com/Foo', /must be lowercase/],
    ['busybox:', /^invalid reference format$/],
    ['busybox:bad tag', /^invalid reference format$/],
    [':latest', /invalid reference format/],
    ['-busybox', /^invalid reference format$/],
    ['busy--box_', /^invalid reference format$/],
    ['a//b', /^invalid reference format$/],
    ['busybox@sha256:abc', /^invalid reference format$/],
    [`busybox@sha256:${'A'.repeat(64)}`, /invalid checksum digest format/],
    [`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    ['a'.repeat(64), /cannot specify 64-byte hexadecimal strings/],
    [`example.com/${'a'.repeat(250)}`, /must not be more than 255 characters/],
    ['busybox:' + 'x'.repeat(129), /^invalid reference format$/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`, () => {
      assert.throws(() => parseReference(input), (err: Error) => isInvalidArgument(err) && message.test(err.message));
    });
  }
});

describe('reference helpers', () => {
  it('formats names', () => {
    const ref = parseReference('busybox');
    assert.equal(repositoryName(ref), 'docker.io/library/busybox');
    assert.equal(familiarName(ref), 'busybox');
    assert.equal(referenceString(withDefaultTag(ref)), 'docker.io/library/busybox:latest');
    assert.equal(familiarName(parseReference('docker.io/library/a/b')), 'library/a/b');
  });

  it('adds :latest only when there is neither tag nor digest', () => {
    assert.equal(withDefaultTag(parseReference('busybox')).tag, 'latest');
    assert.equal(withDefaultTag(parseReference(`busybox@${D}`)).tag, undefined);
    assert.equal(withDefaultTag(parseReference('busybox:1')).tag, '1');
  });

  it('parseDockerRef lets a digest win over a tag', () => {
    assert.deepEqual(parseDockerRef(`busybox:1@${D}`), { domain: 'docker.io', path: 'library/busybox', digest: D });
    assert.deepEqual(parseDockerRef('busybox'), { domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
  });

  it('parseRepository refuses tags and digests', () => {
    assert.deepEqual(parseRepository('docker.io/library/busybox'), { domain: 'docker.io', path: 'library/busybox' });
    assert.throws(() => parseRepository('busybox:1'), isInvalidArgument);
  });

  it('maps Engine API server addresses to registries', () => {
    assert.equal(registryHostOf(''), 'docker.io');
    assert.equal(registryHostOf('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(registryHostOf('http://127.0.0.1:5000'), '127.0.0.1:5000');
    assert.equal(registryHostOf('Localhost:5000/v2/'), 'localhost:5000');
  });
});
