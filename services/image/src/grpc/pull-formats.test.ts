import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { busyboxIndex, ImageBuilder, pushBlob, pushImage, sha256Digest, type Image, type ImageIndex } from '@berth/fixtures';
import { startRegistryShim, type RegistryShim } from '../testing/registry-shim.js';
import { pull, startStack, type Stack } from '../testing/stack.js';

const FOREIGN = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';

describe('PullImage: platforms and manifest formats', () => {
  let stack: Stack;
  let shim: RegistryShim;
  let index: ImageIndex;
  let indexDigest: string;
  const disposables: Array<{ dispose(): Promise<void> }> = [];

  before(async () => {
    stack = await startStack();
    shim = await startRegistryShim(stack.registry.host);
    index = await busyboxIndex();
    indexDigest = await pushImage(stack.registry, 'multi', 'latest', index);
  });
  after(async () => {
    for (const d of disposables) await d.dispose();
    await index?.dispose();
    await shim?.close();
    await stack?.stop();
  });

  for (const platform of [
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
    { os: 'linux', architecture: 'amd64' },
  ]) {
    it(`selects ${[platform.os, platform.architecture, platform.variant].filter(Boolean).join('/')} from a 3-platform index`, async () => {
      const chosen = index.images.find((i) => i.platform.architecture === platform.architecture)!;
      const last = (await pull(stack.client, `${stack.registry.host}/multi`, platform)).at(-1)!;
      assert.equal(last.image!.id, chosen.config.digest);
      assert.equal(last.image!.architecture, platform.architecture);
      assert.equal(last.image!.variant, platform.variant ?? '');
      assert.equal(last.image!.manifestDigest, chosen.manifest.digest);
      assert.deepEqual(last.image!.repoDigests, [`${stack.registry.host}/multi@${indexDigest}`]);
      // The tag follows the platform pulled last, as with Docker.
      const { image } = await stack.client.getImage({ reference: `${stack.registry.host}/multi:latest` });
      assert.equal(image!.id, chosen.config.digest);
    });
  }

  it('says which platform is missing', async () => {
    await assert.rejects(pull(stack.client, `${stack.registry.host}/multi`, { os: 'linux', architecture: 's390x' }), {
      kind: 'not_found',
      message: /no matching manifest for linux\/s390x/,
    });
  });

  it('refuses schema1 manifests with a clear message', async () => {
    const body = JSON.stringify({ schemaVersion: 1, name: 'old', tag: 'latest', architecture: 'amd64', fsLayers: [], history: [] });
    shim.rule = (req) =>
      req.url === '/v2/old/manifests/latest'
        ? { respond: { status: 200, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'docker-content-digest': sha256Digest(Buffer.from(body)) }, body: req.method === 'HEAD' ? '' : body } }
        : undefined;
    await assert.rejects(pull(stack.client, `${shim.host}/old`), { kind: 'failed_precondition', message: /schema1 manifests are not supported/ });
  });

  describe('foreign (non-distributable) layers', () => {
    let img: Image;
    let manifest: Buffer;

    before(async () => {
      img = await new ImageBuilder({ format: 'docker' }).layer((l) => l.file('foreign', 'from far away\n')).build();
      disposables.push(img);
      const layers = img.manifestJson.layers.map((l) => ({ ...l, mediaType: FOREIGN, urls: ['http://127.0.0.1:1/layer.tar.gz'] }));
      manifest = Buffer.from(JSON.stringify({ ...img.manifestJson, layers }));
      await pushBlob(`${stack.registry.url}/v2/foreign`, img.config);
      // The registry refuses manifests with URLs by default: the shim serves this one.
      shim.rule = (req) =>
        req.url === '/v2/foreign/manifests/latest'
          ? { respond: { status: 200, headers: { 'content-type': img.manifest.mediaType, 'docker-content-digest': sha256Digest(manifest) }, body: req.method === 'HEAD' ? '' : manifest.toString() } }
          : undefined;
    });

    it('fails clearly when the registry does not have the layer', async () => {
      await assert.rejects(pull(stack.client, `${shim.host}/foreign`), {
        kind: 'not_found',
        message: /foreign layer sha256:[a-f0-9]{64} is not in the registry .*http:\/\/127\.0\.0\.1:1\/layer\.tar\.gz/,
      });
    });

    it('pulls it when the registry has it', async () => {
      await pushBlob(`${stack.registry.url}/v2/foreign`, img.layers[0]!);
      const last = (await pull(stack.client, `${shim.host}/foreign`)).at(-1)!;
      assert.equal(last.image!.id, img.config.digest);
    });
  });
});
