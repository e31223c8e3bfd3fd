import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isFailedPrecondition, isInvalidArgument, isPermissionDenied } from '@berth/kit';
import { busyboxIndex, imageBlobs, openBlob, startRegistry, type Blob, type ImageIndex, type RegistryFixture } from '@berth/fixtures';
import type { registry } from '@berth/proto';
import { startTokenAuthProxy, type TokenAuthProxy } from '../testing/registry-proxy.js';
import { startService, type ServiceUnderTest } from '../testing/service-fixture.js';

const user = 'pusher';
const password = 'secret';
const CHUNK = 64 * 1024;

type Auth = registry.PushBlobHeader['auth'];

/** The PushBlob request stream: a header, then the blob's bytes in 64 KiB messages. */
async function* pushMessages(header: Omit<registry.PushBlobHeader, 'size' | 'digest'>, blob: Blob, data = openBlob(blob)): AsyncGenerator<registry.PushBlobRequest> {
  yield { header: { ...header, digest: blob.digest, size: blob.size }, data: Buffer.alloc(0) };
  for await (const chunk of data) {
    for (let i = 0; i < (chunk as Buffer).length; i += CHUNK) yield { data: (chunk as Buffer).subarray(i, i + CHUNK) };
  }
}

const header = (repository: string, auth: Auth, extra: Partial<registry.PushBlobHeader> = {}) => ({
  repository,
  chunkSize: 0,
  mountFrom: [],
  force: false,
  auth,
  ...extra,
});

describe('push through the registry service', () => {
  let locked: RegistryFixture;
  let open: RegistryFixture;
  let tokens: TokenAuthProxy;
  let index: ImageIndex;
  let svc: ServiceUnderTest;
  let auth: Auth;

  before(async () => {
    [locked, open, index] = await Promise.all([startRegistry({ htpasswd: { user, password } }), startRegistry(), busyboxIndex()]);
    tokens = await startTokenAuthProxy(open.host, { user, password });
    svc = await startService();
    auth = { username: user, password, identityToken: '', registryToken: '', serverAddress: locked.host };
  });

  after(async () => {
    await svc?.close();
    await tokens?.close();
    await Promise.all([locked?.stop(), open?.stop()]);
    await index?.dispose();
  });

  const uploads = (fixture: RegistryFixture, method: string, repo: string) =>
    fixture.logs().split('\n').filter((l) => l.includes(`"${method} /v2/${repo}/blobs/uploads/`)).length;

  it('uploads monolithically and in chunks with basic auth, then skips what is there', async () => {
    const [layer] = index.images[0]!.layers;
    const config = index.images[0]!.config;
    const mono = await svc.client.pushBlob(pushMessages(header(`${locked.host}/app`, auth), layer!));
    assert.deepEqual(mono, { digest: layer!.digest, size: layer!.size, outcome: 'uploaded' });
    const chunked = await svc.client.pushBlob(pushMessages(header(`${locked.host}/chunked`, auth, { chunkSize: 256 * 1024 }), layer!));
    assert.equal(chunked.outcome, 'uploaded');
    // ~1 MiB in 256 KiB chunks: several PATCHes with Content-Range, then the PUT.
    assert.ok(uploads(locked, 'PATCH', 'chunked') >= 4, locked.logs().slice(-2000));
    assert.equal(uploads(locked, 'PUT', 'chunked'), 1);
    assert.equal(uploads(locked, 'PATCH', 'app'), 0);
    assert.deepEqual(await svc.client.blobExists({ repository: `${locked.host}/chunked`, digest: layer!.digest, auth }), { exists: true, size: layer!.size });
    const posts = uploads(locked, 'POST', 'app');
    const again = await svc.client.pushBlob(pushMessages(header(`${locked.host}/app`, auth), layer!));
    assert.equal(again.outcome, 'exists');
    assert.equal(uploads(locked, 'POST', 'app'), posts, 'no upload was started for a blob the registry has');
    assert.equal((await svc.client.pushBlob(pushMessages(header(`${locked.host}/app`, auth), config))).outcome, 'uploaded');
  });

  it('mounts across repositories, by MountBlob and as part of PushBlob', async () => {
    const [layer] = index.images[0]!.layers;
    assert.deepEqual(await svc.client.mountBlob({ repository: `${locked.host}/mounted`, digest: layer!.digest, fromRepository: `${locked.host}/app`, auth }), { mounted: true });
    const missing = index.images[1]!.config.digest;
    assert.deepEqual(await svc.client.mountBlob({ repository: `${locked.host}/mounted`, digest: missing, fromRepository: `${locked.host}/app`, auth }), { mounted: false });
    const pushed = await svc.client.pushBlob(pushMessages(header(`${locked.host}/mounted2`, auth, { mountFrom: [`${locked.host}/app`] }), layer!));
    assert.equal(pushed.outcome, 'mounted');
  });

  it('refuses bytes that do not match the header, and commits nothing', async () => {
    const [layer] = index.images[1]!.layers;
    const wrong = { ...layer!, digest: `sha256:${'e'.repeat(64)}` };
    for (const chunkSize of [0, 256 * 1024]) {
      await assert.rejects(svc.client.pushBlob(pushMessages(header(`${locked.host}/bad`, auth, { chunkSize }), wrong, openBlob(layer!))), isInvalidArgument);
      await assert.rejects(svc.client.pushBlob(pushMessages(header(`${locked.host}/bad`, auth, { chunkSize }), { ...layer!, size: layer!.size + 1 }, openBlob(layer!))), isInvalidArgument);
    }
    assert.equal((await svc.client.blobExists({ repository: `${locked.host}/bad`, digest: layer!.digest, auth })).exists, false);
  });

  it('refuses a push without credentials', async () => {
    const noAuth = { ...auth!, username: '', password: '' };
    await assert.rejects(svc.client.pushBlob(pushMessages(header(`${locked.host}/app2`, noAuth), index.images[0]!.config)), (err: Error) =>
      isPermissionDenied(err) && err.message.startsWith(`push access denied for ${locked.host}/app2`));
  });

  it('pushes a multi-platform index: blobs, then manifests by digest, then the index by tag', async () => {
    const repository = `${locked.host}/multi`;
    const index0 = index.manifest;
    await assert.rejects(
      svc.client.pushManifest({ repository, reference: 'latest', mediaType: index0.mediaType, content: index0.bytes!, auth }),
      isFailedPrecondition,
      'an index before its manifests',
    );
    for (const image of index.images) {
      for (const blob of imageBlobs(image)) await svc.client.pushBlob(pushMessages(header(repository, auth, { mountFrom: [`${locked.host}/app`] }), blob));
      const m = image.manifest;
      assert.deepEqual(await svc.client.pushManifest({ repository, reference: m.digest, mediaType: m.mediaType, content: m.bytes!, auth }), { digest: m.digest, mediaType: m.mediaType });
    }
    const pushed = await svc.client.pushManifest({ repository, reference: 'latest', mediaType: index0.mediaType, content: index0.bytes!, auth });
    assert.equal(pushed.digest, index0.digest);
    const arm = await svc.client.resolve({ reference: `${repository}:latest`, platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, auth });
    assert.equal(arm.digest, index0.digest);
    assert.equal(arm.manifestDigest, index.images.find((i) => i.platform.architecture === 'arm')!.manifest.digest);
  });

  it('pushes with token auth, asking for pull,push scopes (and pull on a mount source)', async () => {
    const tokenAuth = { ...auth!, serverAddress: tokens.host };
    const [layer] = index.images[2]!.layers;
    const repository = `${tokens.host}/token-app`;
    assert.equal((await svc.client.pushBlob(pushMessages(header(repository, tokenAuth, { chunkSize: 512 * 1024 }), layer!))).outcome, 'uploaded');
    assert.deepEqual(await svc.client.mountBlob({ repository: `${tokens.host}/token-copy`, digest: layer!.digest, fromRepository: repository, auth: tokenAuth }), { mounted: true });
    const scopes = tokens.tokenRequests.map((q) => q.getAll('scope').join(' '));
    assert.ok(scopes.includes('repository:token-app:pull,push'), scopes.join('\n'));
    assert.ok(scopes.includes('repository:token-app:pull repository:token-copy:pull,push'), scopes.join('\n'));
    // PATCHes and the PUT went through the token proxy too, with the token.
    assert.ok(tokens.seen.some((s) => s.startsWith('PATCH /v2/token-app/blobs/uploads/')));
  });
});
