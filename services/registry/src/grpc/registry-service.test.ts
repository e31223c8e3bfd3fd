import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, isDataLoss, isInvalidArgument, isNotFound, isPermissionDenied, loadConfig, NullEventPublisher, silentLogger, type Client } from '@berth/kit';
import { busyboxIndex, corruptBlob, pushImage, readBlob, startRegistry, tempDir, type ImageIndex, type RegistryFixture, type TempDir } from '@berth/fixtures';
import { registry } from '@berth/proto';
import { start } from '../index.js';

const user = 'berth';
const password = 'pw';

describe('registry gRPC service over a unix socket', () => {
  let dir: TempDir;
  let reg: RegistryFixture;
  let locked: RegistryFixture;
  let index: ImageIndex;
  let service: { address: string; close(): Promise<void> };
  let client: Client<typeof registry.RegistryService>;

  before(async () => {
    dir = tempDir('berth-registry-svc-');
    [reg, locked, index] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { user, password } }), busyboxIndex()]);
    await pushImage(reg, 'multi', 'latest', index);
    await pushImage(locked, 'private', 'latest', index, { auth: { user, password } });
    const config = loadConfig({
      env: {},
      file: null,
      overrides: { runRoot: dir.path, stateRoot: dir.path, addresses: { registry: `unix://${path.join(dir.path, 'registry.sock')}` } },
    });
    service = await start(config, { logger: silentLogger(), events: new NullEventPublisher() });
    client = createClient(registry.RegistryService, service.address);
  });

  after(async () => {
    client?.close();
    await service?.close();
    await Promise.all([reg?.stop(), locked?.stop()]);
    await index?.dispose();
    await dir?.cleanup();
  });

  it('resolves a multi-platform image, for the host and for another platform', async () => {
    const host = await client.resolve({ reference: `${reg.host}/multi`, platform: undefined, auth: undefined });
    assert.equal(host.repository, `${reg.host}/multi`);
    assert.equal(host.tag, 'latest');
    assert.equal(host.digest, index.manifest.digest);
    assert.equal(host.mediaType, 'application/vnd.oci.image.index.v1+json');
    const arm = await client.resolve({ reference: `${reg.host}/multi:latest`, platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, auth: undefined });
    const armImage = index.images.find((i) => i.platform.architecture === 'arm')!;
    assert.equal(arm.manifestDigest, armImage.manifest.digest);
    assert.deepEqual(Buffer.from(arm.manifest), armImage.manifest.bytes);
    assert.deepEqual(arm.platform, { os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  it('maps domain errors to their kinds across gRPC', async () => {
    await assert.rejects(client.resolve({ reference: `${reg.host}/multi:nope`, platform: undefined, auth: undefined }), (err: Error) =>
      isNotFound(err) && err.message === `manifest for ${reg.host}/multi:nope not found: manifest unknown`);
    await assert.rejects(client.resolve({ reference: 'UPPER', platform: undefined, auth: undefined }), isInvalidArgument);
    await assert.rejects(client.resolve({ reference: `${locked.host}/private`, platform: undefined, auth: undefined }), isPermissionDenied);
    await assert.rejects(client.search({ term: `${reg.host}/x`, limit: 1000, filters: [], auth: undefined }), isInvalidArgument);
  });

  it('serves manifests, blobs (with offset), sizes and tags', async () => {
    const image = index.images[0]!;
    const m = await client.getManifest({ repository: `${reg.host}/multi`, digest: image.manifest.digest, auth: undefined });
    assert.deepEqual(Buffer.from(m.content), image.manifest.bytes);
    const layer = await readBlob(image.layers[0]!);
    const fetch = async (offset: number) => {
      const parts: Buffer[] = [];
      let total = -1;
      for await (const chunk of client.fetchBlob({ repository: `${reg.host}/multi`, digest: image.layers[0]!.digest, offset, auth: undefined, intoFile: '' })) {
        if (total < 0) total = chunk.totalSize;
        parts.push(Buffer.from(chunk.data));
      }
      return { bytes: Buffer.concat(parts), total };
    };
    const whole = await fetch(0);
    assert.equal(whole.total, layer.length);
    assert.ok(whole.bytes.equals(layer));
    const tail = await fetch(4096);
    assert.equal(tail.total, layer.length);
    assert.ok(tail.bytes.equals(layer.subarray(4096)));
    const stat = await client.statBlob({ repository: `${reg.host}/multi`, digest: image.config.digest, auth: undefined });
    assert.equal(stat.size, image.config.size);
    assert.deepEqual((await client.listTags({ repository: `${reg.host}/multi`, auth: undefined })).tags, ['latest']);
  });

  // A deadline keeps a stream that never ends from hanging the suite: it fails the assertion instead.
  const drain = async (req: { repository: string; digest: string }) => {
    const received: Buffer[] = [];
    for await (const chunk of client.fetchBlob({ ...req, offset: 0, auth: undefined, intoFile: '' }, { timeoutMs: 5_000 })) {
      received.push(Buffer.from(chunk.data));
    }
    return Buffer.concat(received);
  };

  it('ends a blob stream with NOT_FOUND for an unknown blob', async () => {
    const missing = `sha256:${'2'.repeat(64)}`;
    await assert.rejects(drain({ repository: `${reg.host}/multi`, digest: missing }), isNotFound);
  });

  it('ends a corrupted blob stream with DATA_LOSS', async () => {
    const config = index.images[2]!.config;
    await corruptBlob(reg, config.digest);
    await assert.rejects(drain({ repository: `${reg.host}/multi`, digest: config.digest }), (err: Error) =>
      isDataLoss(err) && err.message.startsWith(`digest mismatch for ${config.digest}: got sha256:`));
  });

  it('passes credentials through and logs in', async () => {
    const auth = { username: user, password, identityToken: '', registryToken: '', serverAddress: locked.host };
    const r = await client.resolve({ reference: `${locked.host}/private`, platform: undefined, auth });
    assert.equal(r.digest, index.manifest.digest);
    assert.deepEqual(await client.login({ auth }), { status: 'Login Succeeded', identityToken: '' });
    await assert.rejects(client.login({ auth: { ...auth, password: 'wrong' } }), isPermissionDenied);
  });
});
