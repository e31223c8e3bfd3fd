import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorKind, isNotFound, isUnavailable } from '@berth/kit';
import { busyboxImage, freePort, pushImage, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import { startRegistryProxy } from '../testing/registry-proxy.js';
import { Registry } from './registry.js';

/** Fast retries so failure paths do not slow the suite; the policy's shape is what is tested. */
const retry = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 };

describe('retries, mirrors and unreachable registries', () => {
  let image: Image;
  let upstream: RegistryFixture;
  let mirror: RegistryFixture;

  before(async () => {
    image = await busyboxImage();
    [upstream, mirror] = await Promise.all([startRegistry(), startRegistry()]);
    await pushImage(upstream, 'busybox', 'latest', image);
    await pushImage(mirror, 'mirrored', 'latest', image);
  });

  after(async () => {
    await Promise.all([upstream?.stop(), mirror?.stop()]);
    await image?.dispose();
  });

  it('retries 503 and 429 honouring Retry-After, then succeeds', async () => {
    let failures = 0;
    const proxy = await startRegistryProxy(upstream.host, (req, res) => {
      if (!req.url?.includes('/manifests/') || failures >= 2) return false;
      failures++;
      res.writeHead(failures === 1 ? 503 : 429, { 'retry-after': '0' }).end();
      return true;
    });
    const registry = new Registry({ retry });
    try {
      const r = await registry.resolve(`${proxy.host}/busybox`);
      assert.equal(r.digest, image.manifest.digest);
      assert.equal(failures, 2);
    } finally {
      registry.close();
      await proxy.close();
    }
  });

  it('gives up on a Retry-After beyond the bound, and after the last attempt', async () => {
    const proxy = await startRegistryProxy(upstream.host, (req, res) => {
      if (!req.url?.includes('/manifests/')) return false;
      res.writeHead(req.url.includes('limited') ? 429 : 502, { 'retry-after': req.url.includes('limited') ? '3600' : '0' }).end();
      return true;
    });
    const registry = new Registry({ retry });
    try {
      await assert.rejects(registry.resolve(`${proxy.host}/limited`), (err: Error) => errorKind(err) === 'resource_exhausted');
      assert.equal(proxy.seen.filter((s) => s.includes('/limited/')).length, 1);
      await assert.rejects(registry.resolve(`${proxy.host}/broken`), isUnavailable);
      assert.equal(proxy.seen.filter((s) => s.includes('/broken/')).length, retry.attempts);
    } finally {
      registry.close();
      await proxy.close();
    }
  });

  it('reports an unreachable registry as unavailable', async () => {
    const registry = new Registry({ retry });
    try {
      const port = await freePort();
      await assert.rejects(registry.resolve(`127.0.0.1:${port}/busybox`), (err: Error) => isUnavailable(err) && /ECONNREFUSED/.test(err.message));
    } finally {
      registry.close();
    }
  });

  it('pulls through a configured mirror first, and falls back to the registry itself', async () => {
    const dead = await freePort();
    const registry = new Registry({
      retry,
      mirrors: { [upstream.host]: [`http://127.0.0.1:${dead}`, `http://${mirror.host}`] },
    });
    try {
      // Only the mirror has "mirrored": the answer must come from it.
      const viaMirror = await registry.resolve(`${upstream.host}/mirrored`);
      assert.equal(viaMirror.digest, image.manifest.digest);
      assert.equal(viaMirror.repository, `${upstream.host}/mirrored`);
      const blob = await registry.fetchBlob(`${upstream.host}/mirrored`, image.layers[0]!.digest);
      let size = 0;
      for await (const chunk of blob.chunks) size += chunk.length;
      assert.equal(size, image.layers[0]!.size);
      // Only the registry has "busybox": the mirror's not_found falls through to it.
      assert.equal((await registry.resolve(`${upstream.host}/busybox`)).digest, image.manifest.digest);
      // Nobody has "nope": the registry's own answer is reported.
      await assert.rejects(registry.resolve(`${upstream.host}/nope`), (err: Error) =>
        isNotFound(err) && err.message.startsWith(`manifest for ${upstream.host}/nope:latest not found`));
    } finally {
      registry.close();
    }
  });
});
