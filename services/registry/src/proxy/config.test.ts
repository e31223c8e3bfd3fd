import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isInvalidArgument, loadConfig } from '@berth/kit';
import { tempDir } from '@berth/fixtures';
import { registrySettings } from '../config.js';

describe('registry settings', () => {
  const dir = tempDir('berth-registry-config-');
  after(() => dir.cleanup());

  const fromToml = (toml: string) => {
    const file = path.join(dir.path, 'berth.toml');
    writeFileSync(file, toml);
    return loadConfig({ env: {}, file, overrides: { stateRoot: '/var/lib/berth-test' } });
  };

  it('has no proxy unless an address is set', () => {
    assert.equal(registrySettings(fromToml('')).proxy, undefined);
  });

  it('takes the address from BERTH_REGISTRY_PROXY_ADDRESS over the file', () => {
    const file = path.join(dir.path, 'env.toml');
    writeFileSync(file, '[registry.proxy]\naddress = "127.0.0.1:5080"\ntag_ttl_seconds = 9\n');
    const config = loadConfig({ env: { BERTH_REGISTRY_PROXY_ADDRESS: '127.0.0.1:5099' }, file, overrides: { stateRoot: '/var/lib/berth-test' } });
    assert.equal(config.registry.proxy.address, '127.0.0.1:5099');
    const proxy = registrySettings(config).proxy!;
    assert.equal(proxy.address, '127.0.0.1:5099');
    assert.equal(proxy.tagTtlSeconds, 9);
  });

  it('reads [registry.proxy] and [registry.search] from berth.toml, start options over them', () => {
    const config = fromToml(`
[registry]
mirrors = { "docker.io" = ["http://127.0.0.1:5080"] }
[registry.proxy]
address = "127.0.0.1:5080"
max_cache_bytes = 1000
tag_ttl_seconds = 5
upstreams = ["127.0.0.1:5001"]
[registry.proxy.routes]
hub = "docker.io"
[registry.proxy.credentials."127.0.0.1:5001"]
username = "u"
password = "p"
[registry.search]
registries = ["127.0.0.1:5001"]
`);
    const settings = registrySettings(config, { proxy: { tagTtlSeconds: 7 } });
    assert.deepEqual(settings.proxy, {
      address: '127.0.0.1:5080',
      cacheDir: '/var/lib/berth-test/registry/proxy',
      maxCacheBytes: 1000,
      tagTtlSeconds: 7,
      defaultUpstream: 'docker.io',
      routes: { hub: 'docker.io' },
      upstreams: ['127.0.0.1:5001'],
      credentials: { '127.0.0.1:5001': { username: 'u', password: 'p' } },
      htpasswd: '',
      users: {},
    });
    assert.deepEqual(settings.client.search, { registries: ['127.0.0.1:5001'], indexUrl: 'https://index.docker.io' });
    assert.deepEqual(settings.client.mirrors, { 'docker.io': ['http://127.0.0.1:5080'] });
  });

  it('refuses settings that cannot work', () => {
    const config = fromToml('');
    for (const proxy of [{ address: 'nowhere' }, { address: '127.0.0.1:1', cacheDir: 'relative' }, { address: '127.0.0.1:1', users: { u: 'plain' } }]) {
      assert.throws(() => registrySettings(config, { proxy }), isInvalidArgument, JSON.stringify(proxy));
    }
  });
});
