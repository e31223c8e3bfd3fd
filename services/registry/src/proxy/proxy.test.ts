import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '@berth/kit';
import { busyboxImage, pushImage, readBlob, startRegistry, tempDir, type Image, type RegistryFixture, type TempDir } from '@berth/fixtures';
import { httpGet, httpPull } from '../testing/http-pull.js';
import { startProxied, type ProxiedService } from '../testing/service-fixture.js';

const errorOf = (body: Buffer) => (JSON.parse(body.toString()) as { errors: Array<{ code: string; message: string }> }).errors[0]!;
const skopeo = (args: string[]) => runCommand('/usr/bin/skopeo', args, { timeoutMs: 120_000, env: { PATH: '/usr/bin:/bin', HOME: '/root' } });

describe('pull-through proxy in front of two registries', () => {
  let one: RegistryFixture;
  let two: RegistryFixture;
  let busybox: Image;
  let tools: Image;
  let proxy: ProxiedService;
  let work: TempDir;

  before(async () => {
    work = tempDir('berth-proxy-test-');
    [one, two, busybox, tools] = await Promise.all([
      startRegistry(),
      startRegistry(),
      busyboxImage(),
      busyboxImage({ extraLayers: [(l) => l.file('/etc/tools', 'tools\n')] }),
    ]);
    await pushImage(one, 'busybox', 'latest', busybox);
    await pushImage(two, 'library/busybox', 'latest', busybox);
    await pushImage(two, 'team/tools', '1.0', tools);
    await pushImage(two, 'team/never-pulled', 'latest', tools);
    // `two` is also the default upstream: names without a registry go there (registry-mirror mode).
    proxy = await startProxied({ upstreams: [one.host, two.host], defaultUpstream: two.host, routes: { second: two.host } });
  });

  after(async () => {
    await proxy?.close();
    await Promise.all([one?.stop(), two?.stop()]);
    await Promise.all([busybox?.dispose(), tools?.dispose()]);
    await work?.cleanup();
  });

  it('lets skopeo copy through it from both upstreams, with the right digests, and umoci unpack the result', async () => {
    const port = one.host.split(':')[1];
    // skopeo's reference grammar has no room for "host:port" inside a name: the proxy takes "host_port".
    const fromOne = `docker://${proxy.host}/127.0.0.1_${port}/busybox:latest`;
    const inspected = JSON.parse((await skopeo(['inspect', '--tls-verify=false', fromOne])).stdout) as { Digest: string };
    assert.equal(inspected.Digest, busybox.manifest.digest);
    const layout = path.join(work.path, 'layout');
    await skopeo(['copy', '--src-tls-verify=false', fromOne, `oci:${layout}:latest`]);
    await skopeo(['copy', '--src-tls-verify=false', `docker://${proxy.host}/second/team/tools:1.0`, `oci:${layout}:tools`]);
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
    const byTag = Object.fromEntries(index.manifests.map((m) => [m.annotations['org.opencontainers.image.ref.name'], m.digest]));
    assert.deepEqual(byTag, { latest: busybox.manifest.digest, tools: tools.manifest.digest });
    const bundle = path.join(work.path, 'bundle');
    await runCommand('/usr/bin/umoci', ['unpack', '--image', `${layout}:tools`, bundle], { timeoutMs: 120_000 });
    assert.ok(existsSync(path.join(bundle, 'rootfs/bin/busybox')));
    assert.equal(readFileSync(path.join(bundle, 'rootfs/etc/tools'), 'utf8'), 'tools\n');
  });

  it('serves every spelling of an upstream: host:port, a route, the default upstream, containerd ?ns=, a mirror prefix', async () => {
    const direct = await httpPull(proxy.base, `${one.host}/busybox`, 'latest');
    assert.equal(direct.manifestDigest, busybox.manifest.digest);
    assert.equal((await httpPull(proxy.base, 'library/busybox', 'latest')).manifestDigest, busybox.manifest.digest);
    assert.equal((await httpPull(proxy.base, 'library/busybox', busybox.manifest.digest)).manifestDigest, busybox.manifest.digest);
    const ns = await httpGet(`${proxy.base}/v2/team/tools/manifests/1.0?ns=${two.host}`);
    assert.equal(ns.headers['docker-content-digest'], tools.manifest.digest);
    // A mirror URL that names its registry, by host or by route: one proxy mirrors every upstream.
    assert.equal((await httpPull(`${proxy.base}/${one.host.replace(':', '_')}`, 'busybox', 'latest')).manifestDigest, busybox.manifest.digest);
    assert.equal((await httpPull(`${proxy.base}/${one.host}`, 'busybox', 'latest')).manifestDigest, busybox.manifest.digest);
    assert.equal((await httpPull(`${proxy.base}/second`, 'team/tools', '1.0')).manifestDigest, tools.manifest.digest);
    assert.equal((await httpGet(`${proxy.base}/second/v2/`)).status, 200);
    assert.equal((await httpGet(`${proxy.base}/127.0.0.1_1/v2/busybox/manifests/latest`)).status, 403);
    assert.equal((await httpGet(`${proxy.base}/nowhere/v2/busybox/manifests/latest`)).status, 404);
    const refused = await httpGet(`${proxy.base}/v2/127.0.0.1_1/busybox/manifests/latest`);
    assert.equal(refused.status, 403);
    assert.equal((JSON.parse(refused.body.toString()) as { errors: Array<{ code: string }> }).errors[0]!.code, 'DENIED');
  });

  it('answers HEAD, Range, tags/list and _catalog, and counts what it does on /metrics', async () => {
    const layer = busybox.layers[0]!;
    const url = `${proxy.base}/v2/${one.host}/busybox/blobs/${layer.digest}`;
    const head = await httpGet(url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), layer.size);
    const bytes = await readBlob(layer);
    const part = await httpGet(url, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 100-199/${layer.size}`);
    assert.ok(part.body.equals(bytes.subarray(100, 200)));
    const tail = await httpGet(url, { headers: { range: `bytes=-10` } });
    assert.ok(tail.body.equals(bytes.subarray(bytes.length - 10)));
    assert.equal((await httpGet(url, { headers: { range: `bytes=${layer.size}-` } })).status, 416);
    const tags = JSON.parse((await httpGet(`${proxy.base}/v2/second/team/tools/tags/list`)).body.toString());
    assert.deepEqual(tags, { name: 'second/team/tools', tags: ['1.0'] });
    const catalog = JSON.parse((await httpGet(`${proxy.base}/v2/_catalog`)).body.toString()) as { repositories: string[] };
    // Names a client can pull through the proxy: no ':' inside a repository name.
    const spelled = (host: string) => host.replace(':', '_');
    assert.deepEqual(catalog.repositories, [`${spelled(one.host)}/busybox`, `${spelled(two.host)}/library/busybox`, `${spelled(two.host)}/team/tools`].sort());
    for (const name of catalog.repositories) assert.equal((await httpGet(`${proxy.base}/v2/${name}/tags/list`)).status, 200, name);
    // Under a mirror prefix, one registry's repositories as that registry names them.
    const mirrored = JSON.parse((await httpGet(`${proxy.base}/second/v2/_catalog`)).body.toString()) as { repositories: string[] };
    assert.deepEqual(mirrored.repositories, ['library/busybox', 'team/tools']);
    const metrics = (await httpGet(`${proxy.base}/metrics`)).body.toString();
    assert.match(metrics, /^berth_proxy_cache_requests_total\{kind="blob",result="hit"\} [1-9]/m);
    assert.match(metrics, /^berth_proxy_cache_requests_total\{kind="blob",result="miss"\} [1-9]/m);
    assert.match(metrics, new RegExp(`^berth_proxy_upstream_bytes_total\\{upstream="${one.host}"\\} [1-9]`, 'm'));
    assert.match(metrics, /^berth_proxy_upstream_latency_seconds_count\{op="blob"\} [1-9]/m);
  });

  it('is read-only', async () => {
    const res = await httpGet(`${proxy.base}/v2/${one.host}/busybox/blobs/uploads/`, { method: 'POST' });
    assert.equal(res.status, 405);
  });

  it('keeps serving cached images when their registry is down; an uncached one fails with a clear error', async () => {
    // A second proxy revalidates tags on every request (TTL 0): it must fall back to its cache.
    const eager = await startProxied({ upstreams: [two.host], tagTtlSeconds: 0 });
    try {
      await httpPull(eager.base, `${two.host}/team/tools`, '1.0');
      await two.stop();
      // Fresh tag: served without asking; blobs come from disk.
      assert.equal((await httpPull(proxy.base, 'second/team/tools', '1.0')).manifestDigest, tools.manifest.digest);
      // Expired tag: the revalidation fails, the cached answer is served.
      assert.equal((await httpPull(eager.base, `${two.host}/team/tools`, '1.0')).manifestDigest, tools.manifest.digest);
      const metrics = (await httpGet(`${eager.base}/metrics`)).body.toString();
      assert.match(metrics, new RegExp(`^berth_proxy_stale_served_total\\{upstream="${two.host}"\\} 1$`, 'm'));
    } finally {
      await eager.close();
    }
    const res = await httpGet(`${proxy.base}/v2/second/team/never-pulled/manifests/latest`);
    assert.equal(res.status, 503);
    const error = errorOf(res.body);
    assert.equal(error.code, 'UNAVAILABLE');
    assert.match(error.message, new RegExp(`^${two.host}/team/never-pulled:latest is not in the proxy's cache and its registry cannot be reached: .*ECONNREFUSED`));
    const blob = await httpGet(`${proxy.base}/v2/second/team/never-pulled/blobs/sha256:${'0'.repeat(64)}`);
    assert.equal(blob.status, 503);
    assert.match(errorOf(blob.body).message, /^blob sha256:0{64} is not in the proxy's cache and its registry cannot be reached: /);
    // Blobs are shared by digest: the uncached image's layers, pulled before for another tag, are there.
    const layer = tools.layers.at(-1)!;
    assert.equal((await httpGet(`${proxy.base}/v2/second/team/never-pulled/blobs/${layer.digest}`)).status, 200);
  });
});
