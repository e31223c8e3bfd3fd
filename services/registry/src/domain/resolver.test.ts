import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isInvalidArgument, isNotFound } from '@berth/kit';
import { busyboxImage, busyboxIndex, MediaType, pushImage, startRegistry, type Image, type ImageIndex, type RegistryFixture } from '@berth/fixtures';
import { hostPlatform } from './platform.js';
import { Registry } from './registry.js';

describe('Registry.resolve against docker-registry', () => {
  let reg: RegistryFixture;
  let registry: Registry;
  let oci: Image;
  let docker: Image;
  let index: ImageIndex;
  let list: ImageIndex;
  const digests: Record<string, string> = {};

  before(async () => {
    reg = await startRegistry();
    registry = new Registry();
    [oci, docker, index, list] = await Promise.all([
      busyboxImage(),
      busyboxImage({ format: 'docker' }),
      busyboxIndex(),
      busyboxIndex(undefined, { format: 'docker' }),
    ]);
    digests.oci = await pushImage(reg, 'busybox', 'latest', oci);
    digests.docker = await pushImage(reg, 'busybox-docker', '1.36', docker);
    digests.index = await pushImage(reg, 'multi', 'latest', index);
    digests.list = await pushImage(reg, 'multi-docker', 'latest', list);
  });

  after(async () => {
    registry?.close();
    await Promise.all([oci, docker, index, list].map((i) => i?.dispose()));
    await reg?.stop();
  });

  it('resolves an OCI image by tag (default :latest) to its manifest and platform', async () => {
    const r = await registry.resolve(`${reg.host}/busybox`);
    assert.equal(r.repository, `${reg.host}/busybox`);
    assert.equal(r.tag, 'latest');
    assert.equal(r.digest, digests.oci);
    assert.equal(r.digest, oci.manifest.digest);
    assert.equal(r.mediaType, MediaType.ociManifest);
    assert.equal(r.manifestDigest, r.digest);
    assert.equal(r.manifestMediaType, MediaType.ociManifest);
    assert.deepEqual(r.manifest, oci.manifest.bytes);
    assert.deepEqual(r.platform, { os: 'linux', architecture: 'amd64', variant: '' });
  });

  it('resolves a Docker schema2 image', async () => {
    const r = await registry.resolve(`${reg.host}/busybox-docker:1.36`);
    assert.equal(r.digest, docker.manifest.digest);
    assert.equal(r.mediaType, MediaType.dockerManifest);
    assert.deepEqual(r.manifest, docker.manifest.bytes);
  });

  it('resolves by digest (and by tag@digest, the digest winning)', async () => {
    const byDigest = await registry.resolve(`${reg.host}/busybox@${digests.oci}`);
    assert.equal(byDigest.tag, '');
    assert.equal(byDigest.digest, digests.oci);
    const both = await registry.resolve(`${reg.host}/busybox:nope@${digests.oci}`);
    assert.equal(both.digest, digests.oci);
  });

  for (const [name, media] of [['multi', MediaType.ociIndex], ['multi-docker', MediaType.dockerManifestList]] as const) {
    it(`selects the host's platform (linux/amd64 here) from a 3-platform ${name === 'multi' ? 'OCI index' : 'manifest list'}`, async () => {
      const idx = name === 'multi' ? index : list;
      const host = hostPlatform();
      const r = await registry.resolve(`${reg.host}/${name}`);
      assert.equal(r.digest, idx.manifest.digest);
      assert.equal(r.mediaType, media);
      const native = idx.images.find((i) => i.platform.architecture === host.architecture)!;
      assert.equal(r.manifestDigest, native.manifest.digest);
      assert.deepEqual(r.manifest, native.manifest.bytes);
      assert.deepEqual(r.platform, host);
    });
  }

  it('honours a requested platform', async () => {
    const arm64 = await registry.resolve(`${reg.host}/multi`, { platform: { os: 'linux', architecture: 'arm64', variant: '' } });
    assert.equal(arm64.manifestDigest, index.images.find((i) => i.platform.architecture === 'arm64')!.manifest.digest);
    assert.equal(arm64.digest, index.manifest.digest);
    assert.deepEqual(arm64.platform, { os: 'linux', architecture: 'arm64', variant: '' });
    const arm = await registry.resolve(`${reg.host}/multi`, { platform: { os: '', architecture: 'arm', variant: '' } });
    assert.equal(arm.manifestDigest, index.images.find((i) => i.platform.architecture === 'arm')!.manifest.digest);
    assert.deepEqual(arm.platform, { os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  it('reports a platform the image does not have as not_found', async () => {
    await assert.rejects(registry.resolve(`${reg.host}/multi`, { platform: { architecture: 's390x' } }), (err: Error) =>
      isNotFound(err) && err.message === 'no matching manifest for linux/s390x in the manifest list entries');
    await assert.rejects(registry.resolve(`${reg.host}/busybox`, { platform: { architecture: 'arm64' } }), (err: Error) =>
      isNotFound(err) && /was found but does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/.test(err.message));
  });

  it('reports an unknown tag and an unknown repository as not_found, in Docker words', async () => {
    await assert.rejects(registry.resolve(`${reg.host}/busybox:nope`), (err: Error) =>
      isNotFound(err) && err.message === `manifest for ${reg.host}/busybox:nope not found: manifest unknown`);
    await assert.rejects(registry.resolve(`${reg.host}/nope`), (err: Error) =>
      isNotFound(err) && err.message === `manifest for ${reg.host}/nope:latest not found: manifest unknown`);
    await assert.rejects(registry.resolve(`${reg.host}/busybox@sha256:${'0'.repeat(64)}`), isNotFound);
  });

  it('refuses an invalid reference before any request', async () => {
    await assert.rejects(registry.resolve(`${reg.host}/BusyBox`), isInvalidArgument);
  });

  it('gets a manifest by digest and lists tags', async () => {
    const m = await registry.getManifest(`${reg.host}/multi`, index.images[1]!.manifest.digest);
    assert.deepEqual(m.content, index.images[1]!.manifest.bytes);
    assert.equal(m.mediaType, MediaType.ociManifest);
    await pushImage(reg, 'busybox', 'v2', oci);
    assert.deepEqual((await registry.listTags(`${reg.host}/busybox`)).sort(), ['latest', 'v2']);
    await assert.rejects(registry.listTags(`${reg.host}/nope`), isNotFound);
  });
});
