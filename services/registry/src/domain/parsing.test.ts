import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDataLoss, isFailedPrecondition, isNotFound } from '@berth/kit';
import { parseChallenges } from './challenge.js';
import { InsecureRegistries } from './insecure.js';
import { classifyManifest, MediaType, type Descriptor } from './media-types.js';
import { hostPlatform, normalizePlatform, requestedPlatform, selectManifest } from './platform.js';
import { retryDelay, DEFAULT_RETRY } from './retry.js';
import { verifyBytes } from './digest.js';

describe('WWW-Authenticate', () => {
  it('parses bearer and basic challenges', () => {
    assert.deepEqual(
      parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'),
      [{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } }],
    );
    assert.deepEqual(parseChallenges('Basic realm="berth-test", Bearer realm=x'), [
      { scheme: 'basic', params: { realm: 'berth-test' } },
      { scheme: 'bearer', params: { realm: 'x' } },
    ]);
    assert.deepEqual(parseChallenges(undefined), []);
  });
});

describe('insecure registries', () => {
  it('treats loopback as insecure by default, and honours names and CIDRs', async () => {
    const policy = new InsecureRegistries(['reg.local:5000', '10.1.0.0/16', 'http://other.example/']);
    for (const host of ['127.0.0.1:5000', '127.9.9.9', 'localhost:5000', '[::1]:5000', 'reg.local:5000', '10.1.2.3:443', 'other.example']) {
      assert.equal(await policy.isInsecure(host), true, host);
    }
    for (const host of ['docker.io', 'reg.local:5001', '10.2.0.1', 'registry-1.docker.io', '[::2]:5000']) {
      assert.equal(await policy.isInsecure(host), false, host);
    }
  });
});

describe('manifests', () => {
  it('classifies by header, document and shape, and refuses schema1', () => {
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: 'x' }, layers: [] }));
    assert.equal(classifyManifest(MediaType.dockerManifest, manifest, 'm').mediaType, MediaType.dockerManifest);
    assert.equal(classifyManifest('application/json', manifest, 'm').mediaType, MediaType.ociManifest);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [] }));
    assert.equal(classifyManifest(undefined, index, 'm').mediaType, MediaType.dockerManifestList);
    const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'a', tag: 'b', fsLayers: [] }));
    assert.throws(() => classifyManifest(MediaType.dockerSchema1Signed, schema1, 'm'), (e: Error) =>
      isFailedPrecondition(e) && /schema1 manifests are not supported/.test(e.message));
    assert.throws(() => classifyManifest('application/json', schema1, 'm'), isFailedPrecondition);
    assert.throws(() => classifyManifest(MediaType.ociIndex, Buffer.from('{'), 'm'), isDataLoss);
  });

  it('verifies digests', () => {
    verifyBytes(Buffer.from(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.throws(() => verifyBytes(Buffer.from('x'), 'sha256:' + '0'.repeat(64)), (e: Error) =>
      isDataLoss(e) && /^digest mismatch for sha256:0{64}: got sha256:2d71/.test(e.message));
  });
});

describe('platforms', () => {
  const d = (architecture: string, variant?: string, os = 'linux'): Descriptor => ({
    mediaType: MediaType.ociManifest, digest: `${architecture}/${variant ?? ''}`, size: 1, platform: { os, architecture, ...(variant && { variant }) },
  });
  const list = [d('amd64', undefined, 'windows'), d('unknown', undefined, 'unknown'), d('amd64'), d('arm64', 'v8'), d('arm', 'v6'), d('arm', 'v7')];

  it('normalises like containerd', () => {
    assert.deepEqual(normalizePlatform({ os: 'Linux', architecture: 'x86_64' }), { os: 'linux', architecture: 'amd64', variant: '' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'aarch64', variant: '8' }), { os: 'linux', architecture: 'arm64', variant: '' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.equal(hostPlatform().os, 'linux');
    assert.deepEqual(requestedPlatform(undefined), { platform: hostPlatform(), explicit: false });
    assert.deepEqual(requestedPlatform({ os: '', architecture: 'arm64', variant: '' }).platform, { os: 'linux', architecture: 'arm64', variant: '' });
  });

  it('selects the best manifest and falls back to compatible variants', () => {
    const pick = (architecture: string, variant = '') => selectManifest(list, normalizePlatform({ os: 'linux', architecture, variant })).digest;
    assert.equal(pick('amd64'), 'amd64/');
    assert.equal(pick('arm64'), 'arm64/v8');
    assert.equal(pick('arm', 'v7'), 'arm/v7');
    assert.equal(pick('arm', 'v8'), 'arm/v7');
    assert.equal(pick('arm', 'v6'), 'arm/v6');
    assert.equal(pick('amd64', 'v3'), 'amd64/');
    assert.throws(() => pick('arm', 'v5'), (e: Error) => isNotFound(e) && /no matching manifest for linux\/arm\/v5/.test(e.message));
    assert.throws(() => pick('s390x'), isNotFound);
  });
});

describe('retry delays', () => {
  it('honours Retry-After in seconds and as a date, within bounds', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    assert.equal(retryDelay(DEFAULT_RETRY, 0, '2', now), 2000);
    assert.equal(retryDelay(DEFAULT_RETRY, 0, 'Mon, 01 Jan 2024 00:00:03 GMT', now), 3000);
    assert.equal(retryDelay(DEFAULT_RETRY, 0, '3600', now), undefined);
    const backoff = retryDelay(DEFAULT_RETRY, 2, undefined, now)!;
    assert.ok(backoff >= 400 && backoff <= 800, String(backoff));
  });
});
