import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImageBuilder, pushImage, startRegistry, waitUntil, type Image, type RegistryFixture } from '@berth/fixtures';
import { startGatedUpstream, type GatedUpstream } from '../testing/gated-upstream.js';
import { httpPull } from '../testing/http-pull.js';
import { startProxied, type ProxiedService } from '../testing/service-fixture.js';

const MiB = 1024 * 1024;
const CLIENTS = 8;
/** The upstream holds back this much of every blob until the test lets it go. */
const HOLD_BACK = 4 * MiB;

describe('a cold proxy under 8 concurrent pulls of a ~100 MB image', () => {
  let registry: RegistryFixture;
  let gate: GatedUpstream;
  let image: Image;
  let proxy: ProxiedService;

  before(async () => {
    image = await new ImageBuilder()
      .layer((l) => l.randomFile('/data/a.bin', 40 * MiB, 'a'), { compression: 'none' })
      .layer((l) => l.randomFile('/data/b.bin', 40 * MiB, 'b'), { compression: 'none' })
      .layer((l) => l.randomFile('/data/c.bin', 20 * MiB, 'c'), { compression: 'none' })
      .build();
    registry = await startRegistry();
    await pushImage(registry, 'big', 'latest', image);
    gate = await startGatedUpstream(registry.host, HOLD_BACK);
    proxy = await startProxied({ upstreams: [gate.host] });
  });

  after(async () => {
    gate?.release();
    await proxy?.close();
    await gate?.close();
    await registry?.stop();
    await image?.dispose();
  });

  it('fetches each blob from the upstream once, and streams it to every client as it arrives', async () => {
    const progress = Array.from({ length: CLIENTS }, () => new Map<string, number>());
    const pulls = progress.map((received) => httpPull(proxy.base, `${gate.host}/big`, 'latest', received));
    // Make sure a failed pull does not go unobserved while the test waits below.
    const settled = Promise.allSettled(pulls);
    const layers = image.layers;
    // Every client gets the bulk of every layer while the upstream still holds back each tail:
    // the proxy passes bytes on as they arrive, not once its download is done.
    await waitUntil(
      async () => progress.every((received) => layers.every((l) => (received.get(l.digest) ?? 0) >= l.size - HOLD_BACK - 2 * MiB)),
      { what: 'every client to receive the bulk of every layer', timeoutMs: 60_000 },
    );
    assert.equal(gate.completed(), 0, 'no upstream transfer has finished yet');
    for (const received of progress) for (const l of layers) assert.ok(received.get(l.digest)! < l.size, 'no client has a whole layer before its digest was checked');
    gate.release();
    const results = await settled;
    for (const r of results) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
    for (const r of results) {
      const pulled = (r as PromiseFulfilledResult<Awaited<(typeof pulls)[number]>>).value;
      assert.equal(pulled.manifestDigest, image.manifest.digest);
      assert.equal(pulled.blobs.size, layers.length + 1);
    }
    // Exactly one upstream GET per blob, as the shim counted and as the registry logged.
    const log = registry.logs();
    for (const blob of [image.config, ...layers]) {
      assert.equal(gate.blobGets(blob.digest), 1, `upstream GETs of ${blob.digest}`);
      const logged = log.split('\n').filter((line) => line.includes(`"GET /v2/big/blobs/${blob.digest} `)).length;
      assert.equal(logged, 1, `access log lines for ${blob.digest}`);
    }
    // Concurrent manifest requests shared one upstream request too.
    assert.equal(gate.seen.filter((s) => s === 'GET /v2/big/manifests/latest').length, 1);
  });

  it('serves the now warm blobs from its cache without asking the upstream again', async () => {
    const before = gate.seen.length;
    const pulled = await httpPull(proxy.base, `${gate.host}/big`, 'latest');
    assert.equal(pulled.manifestDigest, image.manifest.digest);
    assert.deepEqual(gate.seen.slice(before), [], 'a fresh tag and cached blobs need no upstream request');
  });
});
