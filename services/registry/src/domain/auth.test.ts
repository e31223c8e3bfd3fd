import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPermissionDenied } from '@berth/kit';
import { busyboxImage, pushImage, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import { startTokenAuthProxy, type TokenAuthProxy } from '../testing/registry-proxy.js';
import { Registry } from './registry.js';

const user = 'berth';
const password = 's3cret!';

describe('registry auth', () => {
  let image: Image;
  let open: RegistryFixture;
  let basic: RegistryFixture;
  let anonymousTokens: TokenAuthProxy;
  let userTokens: TokenAuthProxy;

  before(async () => {
    image = await busyboxImage();
    [open, basic] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { user, password } })]);
    await pushImage(open, 'busybox', 'latest', image);
    await pushImage(basic, 'busybox', 'latest', image, { auth: { user, password } });
    anonymousTokens = await startTokenAuthProxy(open.host);
    userTokens = await startTokenAuthProxy(open.host, { user, password, accessTokenField: true });
  });

  after(async () => {
    await Promise.all([anonymousTokens?.close(), userTokens?.close()]);
    await Promise.all([open?.stop(), basic?.stop()]);
    await image?.dispose();
  });

  it('answers a Bearer challenge with an anonymous token, cached across requests', async () => {
    const registry = new Registry();
    try {
      const r = await registry.resolve(`${anonymousTokens.host}/busybox`);
      assert.equal(r.digest, image.manifest.digest);
      const blob = await registry.fetchBlob(`${anonymousTokens.host}/busybox`, image.layers[0]!.digest);
      for await (const _ of blob.chunks);
      await registry.resolve(`${anonymousTokens.host}/busybox`);
      assert.equal(anonymousTokens.tokenRequests.length, 1, 'one token for the repository, then the cache');
      const [q] = anonymousTokens.tokenRequests;
      assert.equal(q!.get('service'), 'berth-test');
      assert.deepEqual(q!.getAll('scope'), ['repository:busybox:pull']);
      assert.equal(q!.get('account'), null);
      assert.equal(anonymousTokens.seen.filter((s) => s.includes('/manifests/')).length, 3, 'one 401, then two authorized GETs');
    } finally {
      registry.close();
    }
  });

  it('fetches a token with credentials (access_token field) and refuses wrong ones', async () => {
    const registry = new Registry();
    try {
      const r = await registry.resolve(`${userTokens.host}/busybox`, { creds: { username: user, password } });
      assert.equal(r.digest, image.manifest.digest);
      assert.equal(userTokens.tokenRequests.at(-1)!.get('account'), user);
      await assert.rejects(registry.resolve(`${userTokens.host}/busybox`), isPermissionDenied);
      await assert.rejects(registry.resolve(`${userTokens.host}/busybox`, { creds: { username: user, password: 'wrong' } }), (err: Error) =>
        isPermissionDenied(err) && /incorrect username or password/.test(err.message));
    } finally {
      registry.close();
    }
  });

  it('sends a registry token as is, and reports its refusal as permission_denied', async () => {
    const registry = new Registry();
    try {
      await assert.rejects(registry.resolve(`${anonymousTokens.host}/busybox`, { creds: { registryToken: 'not-a-token' } }), (err: Error) =>
        isPermissionDenied(err) && err.message.startsWith(`pull access denied for ${anonymousTokens.host}/busybox, repository does not exist or may require 'docker login'`));
    } finally {
      registry.close();
    }
  });

  it('answers a Basic challenge (docker-registry with htpasswd)', async () => {
    const registry = new Registry();
    try {
      const r = await registry.resolve(`${basic.host}/busybox`, { creds: { username: user, password } });
      assert.equal(r.digest, image.manifest.digest);
      const size = (await registry.statBlob(`${basic.host}/busybox`, image.layers[0]!.digest, { creds: { username: user, password } })).size;
      assert.equal(size, image.layers[0]!.size);
      await assert.rejects(registry.resolve(`${basic.host}/busybox`), isPermissionDenied);
      await assert.rejects(registry.resolve(`${basic.host}/busybox`, { creds: { username: user, password: 'nope' } }), isPermissionDenied);
    } finally {
      registry.close();
    }
  });

  it('logs in with Basic and with Bearer registries', async () => {
    const registry = new Registry();
    try {
      assert.deepEqual(await registry.login(`http://${basic.host}`, { username: user, password }), { status: 'Login Succeeded', identityToken: '' });
      assert.equal((await registry.login(userTokens.host, { username: user, password })).status, 'Login Succeeded');
      assert.equal(userTokens.tokenRequests.at(-1)!.get('offline_token'), 'true');
      await assert.rejects(registry.login(basic.host, { username: user, password: 'nope' }), (err: Error) =>
        isPermissionDenied(err) && /incorrect username or password/.test(err.message));
      await assert.rejects(registry.login(userTokens.host, { username: 'who', password }), isPermissionDenied);
    } finally {
      registry.close();
    }
  });
});
