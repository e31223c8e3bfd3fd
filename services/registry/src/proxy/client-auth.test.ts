import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '@berth/kit';
import { busyboxImage, pushImage, startRegistry, tempDir, type Image, type RegistryFixture, type TempDir } from '@berth/fixtures';
import { httpGet, httpPull } from '../testing/http-pull.js';
import { startProxied, type ProxiedService } from '../testing/service-fixture.js';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('basic auth for the proxy’s own clients', () => {
  let dir: TempDir;
  let registry: RegistryFixture;
  let image: Image;
  let proxy: ProxiedService;

  before(async () => {
    dir = tempDir('berth-proxy-auth-');
    [registry, image] = await Promise.all([startRegistry(), busyboxImage()]);
    await pushImage(registry, 'busybox', 'latest', image);
    const htpasswd = path.join(dir.path, 'htpasswd');
    // bcrypt, as CNCF Distribution requires; the password goes in on stdin.
    await runCommand('/usr/bin/htpasswd', ['-c', '-i', '-B', '-C', '5', htpasswd, 'alice'], { input: 'wonderland\n' });
    proxy = await startProxied({
      upstreams: [registry.host],
      htpasswd,
      users: { bob: `sha256:${createHash('sha256').update('builder').digest('hex')}` },
    });
  });

  after(async () => {
    await proxy?.close();
    await registry?.stop();
    await image?.dispose();
    await dir?.cleanup();
  });

  it('challenges anonymous clients and refuses wrong passwords', async () => {
    const anonymous = await httpGet(`${proxy.base}/v2/`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Basic realm="berth-proxy"');
    assert.equal((JSON.parse(anonymous.body.toString()) as { errors: Array<{ code: string }> }).errors[0]!.code, 'UNAUTHORIZED');
    for (const [user, password] of [['alice', 'wrong'], ['bob', 'wrong'], ['carol', 'wonderland'], ['-c', 'x']] as const) {
      assert.equal((await httpGet(`${proxy.base}/v2/`, { headers: basic(user, password) })).status, 401, user);
    }
  });

  it('lets in htpasswd (bcrypt) and sha256 users, also skopeo with credentials', async () => {
    assert.equal((await httpGet(`${proxy.base}/v2/`, { headers: basic('alice', 'wonderland') })).status, 200);
    assert.equal((await httpGet(`${proxy.base}/v2/`, { headers: basic('bob', 'builder') })).status, 200);
    const ref = `docker://${proxy.host}/${registry.host.replace(':', '_')}/busybox:latest`;
    const { stdout } = await runCommand('/usr/bin/skopeo', ['inspect', '--tls-verify=false', '--creds', 'alice:wonderland', ref], {
      timeoutMs: 60_000,
      env: { PATH: '/usr/bin:/bin', HOME: '/root' },
    });
    assert.equal((JSON.parse(stdout) as { Digest: string }).Digest, image.manifest.digest);
  });

  it('leaves /metrics open to scrapers', async () => {
    assert.equal((await httpGet(`${proxy.base}/metrics`)).status, 200);
  });
});

describe('the proxy’s own credentials towards a locked upstream', () => {
  let locked: RegistryFixture;
  let image: Image;
  let withCreds: ProxiedService;
  let without: ProxiedService;

  before(async () => {
    [locked, image] = await Promise.all([startRegistry({ htpasswd: { user: 'mirror', password: 'm1rr0r' } }), busyboxImage()]);
    await pushImage(locked, 'private/app', 'latest', image, { auth: { user: 'mirror', password: 'm1rr0r' } });
    withCreds = await startProxied({ upstreams: [locked.host], credentials: { [locked.host]: { username: 'mirror', password: 'm1rr0r' } } });
    without = await startProxied({ upstreams: [locked.host] });
  });

  after(async () => {
    await Promise.all([withCreds?.close(), without?.close()]);
    await locked?.stop();
    await image?.dispose();
  });

  it('pulls with the configured credentials; without them the upstream’s refusal is passed on', async () => {
    const pulled = await httpPull(withCreds.base, `${locked.host}/private/app`, 'latest');
    assert.equal(pulled.manifestDigest, image.manifest.digest);
    const refused = await httpGet(`${without.base}/v2/${locked.host}/private/app/manifests/latest`);
    assert.equal(refused.status, 403);
    const error = (JSON.parse(refused.body.toString()) as { errors: Array<{ code: string; message: string }> }).errors[0]!;
    assert.equal(error.code, 'DENIED');
    assert.match(error.message, /^pull access denied for .*\/private\/app/);
  });
});
