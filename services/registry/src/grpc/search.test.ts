import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isInvalidArgument, isPermissionDenied, isUnavailable } from '@berth/kit';
import { busyboxImage, freePort, pushImage, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import { startService, type ServiceUnderTest } from '../testing/service-fixture.js';

const user = 'searcher';
const password = 'pw';

describe('Search over _catalog', () => {
  let open: RegistryFixture;
  let locked: RegistryFixture;
  let image: Image;
  let svc: ServiceUnderTest;
  let hubless: ServiceUnderTest;

  before(async () => {
    [open, locked, image] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { user, password } }), busyboxImage()]);
    for (const repo of ['busybox', 'library/busybox', 'team/busy-tools', 'nginx']) await pushImage(open, repo, 'latest', image);
    await pushImage(locked, 'private/busybox', 'latest', image, { auth: { user, password } });
    // Unqualified terms search the configured registries; docker.io is asked only when named.
    // Docker Hub's API is unreachable here: a closed loopback port stands in for it.
    const hub = `http://127.0.0.1:${await freePort()}`;
    svc = await startService({ search: { registries: [open.host], indexUrl: hub } });
    hubless = await startService({ search: { registries: [], indexUrl: hub } });
  });

  after(async () => {
    await Promise.all([svc?.close(), hubless?.close()]);
    await Promise.all([open?.stop(), locked?.stop()]);
    await image?.dispose();
  });

  const search = (term: string, limit = 0, filters: Record<string, string> = {}, s = svc) =>
    s.client.search({ term, limit, filters: Object.entries(filters).map(([key, v]) => ({ key, values: [v] })), auth: undefined });

  it('matches the term against repository names, as pullable names with Docker’s result shape', async () => {
    const { results } = await search(`${open.host}/busy`);
    assert.deepEqual(results.map((r) => r.name), [`${open.host}/busybox`, `${open.host}/library/busybox`, `${open.host}/team/busy-tools`]);
    assert.deepEqual(results[0], { name: `${open.host}/busybox`, description: '', starCount: 0, isOfficial: false, isAutomated: false });
    assert.deepEqual((await search(`${open.host}/NGINX`)).results.map((r) => r.name), [`${open.host}/nginx`]);
    assert.equal((await search(`${open.host}/`)).results.length, 4, 'an empty term lists everything');
    assert.deepEqual((await search('busy')).results.map((r) => r.name).length, 3, 'unqualified: the configured registries');
  });

  it('applies limit and filters, and refuses bad ones as Docker does', async () => {
    assert.equal((await search(`${open.host}/busy`, 2)).results.length, 2);
    assert.deepEqual((await search(`${open.host}/busy`, 0, { 'is-official': 'true' })).results, []);
    assert.equal((await search(`${open.host}/busy`, 0, { 'is-official': 'false' })).results.length, 3);
    assert.deepEqual((await search(`${open.host}/busy`, 0, { stars: '1' })).results, []);
    assert.equal((await search(`${open.host}/busy`, 0, { stars: '0' })).results.length, 3);
    await assert.rejects(search(`${open.host}/busy`, 101), (err: Error) => isInvalidArgument(err) && err.message === 'limit 101 is outside the range of [1, 100]');
    await assert.rejects(search(`${open.host}/busy`, 0, { stars: 'many' }), (err: Error) => isInvalidArgument(err) && err.message === "invalid filter 'stars=many'");
    await assert.rejects(search(`${open.host}/busy`, 0, { color: 'red' }), (err: Error) => isInvalidArgument(err) && err.message === "invalid filter 'color'");
  });

  it('searches a registry that needs credentials with them, and is refused without', async () => {
    const auth = { username: user, password, identityToken: '', registryToken: '', serverAddress: locked.host };
    const found = await svc.client.search({ term: `${locked.host}/busy`, limit: 0, filters: [], auth });
    assert.deepEqual(found.results.map((r) => r.name), [`${locked.host}/private/busybox`]);
    await assert.rejects(search(`${locked.host}/busy`), isPermissionDenied);
  });

  it('asks Docker Hub only for docker.io, and says clearly that it cannot be reached', async () => {
    for (const [term, s] of [['docker.io/busybox', svc], ['busybox', hubless]] as const) {
      await assert.rejects(search(term, 0, {}, s), (err: Error) => isUnavailable(err) && /^Docker Hub search \(http:\/\/127\.0\.0\.1:\d+\) is unreachable: .*ECONNREFUSED/.test(err.message));
    }
  });
});
