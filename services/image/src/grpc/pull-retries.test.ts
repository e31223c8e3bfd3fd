import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { busyboxImage, pushImage, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import { isBlobGet, startRegistryShim, type RegistryShim } from '../testing/registry-shim.js';
import { pull, startStack, type Stack } from '../testing/stack.js';

const MiB = 1024 * 1024;

describe('PullImage through a failing registry: retries and mirrors, end to end', () => {
  let stack: Stack;
  let shim: RegistryShim;
  let img: Image;

  before(async () => {
    stack = await startStack();
    shim = await startRegistryShim(stack.registry.host);
    img = await busyboxImage({ extraLayers: [(l) => l.randomFile('data', 2 * MiB, 'retry')] });
    await pushImage(stack.registry, 'flaky', 'latest', img);
  });
  after(async () => {
    await shim?.close();
    await img?.dispose();
    await stack?.stop();
  });

  it('retries 5xx answers to the manifest and a blob, and the pull completes', async () => {
    const big = img.layers[1]!;
    const unavailable = { respond: { status: 503, body: '{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}' } };
    shim.rule = (req, nth) => {
      const manifest = req.method === 'GET' && req.url === '/v2/flaky/manifests/latest';
      return nth <= 2 && (manifest || isBlobGet(req.method!, req.url!, big.digest)) ? unavailable : undefined;
    };
    shim.log.length = 0;
    const progress = await pull(stack.client, `${shim.host}/flaky`);
    assert.equal(progress.at(-1)!.image!.id, img.config.digest);
    const blob = shim.log.filter((r) => isBlobGet(r.method, r.path, big.digest)).map((r) => r.status);
    assert.deepEqual(blob, [503, 503, 200]);
    const manifests = shim.log.filter((r) => r.method === 'GET' && r.path === '/v2/flaky/manifests/latest').map((r) => r.status);
    assert.deepEqual(manifests, [503, 503, 200]);
  });

  it('waits as long as a 429 Retry-After asks, then completes', async () => {
    const pulled = await busyboxImage({ extraLayers: [(l) => l.randomFile('data', MiB, 'retry-429')] });
    try {
      await pushImage(stack.registry, 'limited', 'latest', pulled);
      const big = pulled.layers[1]!;
      shim.rule = (req, nth) => (nth === 1 && isBlobGet(req.method!, req.url!, big.digest) ? { respond: { status: 429, headers: { 'retry-after': '1' }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' } } : undefined);
      shim.log.length = 0;
      const progress = await pull(stack.client, `${shim.host}/limited`);
      assert.equal(progress.at(-1)!.image!.id, pulled.config.digest);
      const tries = shim.log.filter((r) => isBlobGet(r.method, r.path, big.digest));
      assert.deepEqual(tries.map((r) => r.status), [429, 200]);
      assert.ok(tries[1]!.at - tries[0]!.at >= 950, `retried after ${tries[1]!.at - tries[0]!.at} ms`);
    } finally {
      await pulled.dispose();
    }
  });
});

describe('PullImage with registry mirrors', () => {
  let upstream: RegistryFixture;
  let failing: RegistryShim;
  let stack: Stack;
  let img: Image;

  before(async () => {
    upstream = await startRegistry();
    // A mirror that answers 500 to everything, and one that is not there at all (port 1 refuses).
    failing = await startRegistryShim(upstream.host);
    failing.rule = () => ({ respond: { status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"broken mirror"}]}' } });
    stack = await startStack({ config: { registry: { insecure: [], mirrors: { [upstream.host]: ['http://127.0.0.1:1', `http://${failing.host}`] } } } });
    img = await busyboxImage({ extraLayers: [(l) => l.file('etc/mirror', 'upstream\n')] });
    await pushImage(upstream, 'mirrored', 'latest', img);
  });
  after(async () => {
    await stack?.stop();
    await failing?.close();
    await upstream?.stop();
    await img?.dispose();
  });

  it('falls back to the registry itself when its mirrors are down or failing', async () => {
    const progress = await pull(stack.client, `${upstream.host}/mirrored`);
    assert.equal(progress.at(-1)!.image!.id, img.config.digest);
    assert.ok(failing.log.some((r) => r.path.startsWith('/v2/mirrored/')), 'the failing mirror was asked first');
    assert.ok(upstream.logs().includes('/v2/mirrored/manifests/latest'), 'the registry answered');
  });
});
