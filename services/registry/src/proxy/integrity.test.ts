import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '@berth/kit';
import { busyboxImage, corruptBlob, pushImage, readBlob, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import { startRegistryProxy, type RegistryProxy } from '../testing/registry-proxy.js';
import { httpGet } from '../testing/http-pull.js';
import { startProxied, type ProxiedService } from '../testing/service-fixture.js';

const errorOf = (body: Buffer) => (JSON.parse(body.toString()) as { errors: Array<{ code: string; message: string }> }).errors[0]!;

describe('the proxy and an upstream that lies or throttles', () => {
  let registry: RegistryFixture;
  let image: Image;
  let other: Image;
  let counting: RegistryProxy;
  let proxy: ProxiedService;
  let limited = 0;

  before(async () => {
    [registry, image, other] = await Promise.all([startRegistry(), busyboxImage(), busyboxImage({ format: 'docker' })]);
    await pushImage(registry, 'lying', 'latest', image);
    await pushImage(registry, 'docs', 'latest', other);
    await pushImage(registry, 'limited', 'latest', image);
    // Counts upstream requests. Manifests of `limited` are rate limited twice for no time,
    // those of `throttled` for an hour.
    counting = await startRegistryProxy(registry.host, (req, res) => {
      const throttled = req.url?.startsWith('/v2/throttled/manifests/');
      if (req.url?.startsWith('/v2/limited/manifests/')) limited++;
      if (!throttled && !(req.url?.startsWith('/v2/limited/manifests/') && limited <= 2)) return false;
      res.writeHead(429, { 'retry-after': throttled ? '3600' : '0', 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }));
      return true;
    });
    proxy = await startProxied({ upstreams: [counting.host] });
  });

  after(async () => {
    await proxy?.close();
    await counting?.close();
    await registry?.stop();
    await Promise.all([image?.dispose(), other?.dispose()]);
  });

  it('cuts every response to a blob whose bytes do not match its digest, and caches nothing', async () => {
    const layer = image.layers[0]!;
    const good = await readBlob(layer);
    await corruptBlob(registry, layer.digest);
    const url = `${proxy.base}/v2/${counting.host}/lying/blobs/${layer.digest}`;
    const seen: number[] = [0, 0, 0];
    const attempts = await Promise.allSettled(seen.map((_, i) => httpGet(url, { onData: (n) => (seen[i]! += n) })));
    for (const a of attempts) {
      assert.equal(a.status, 'rejected');
      assert.match(String((a as PromiseRejectedResult).reason), /aborted|cut short/);
    }
    for (const n of seen) assert.ok(n < layer.size, 'the last byte is only sent once the digest checked out');
    assert.equal(counting.seen.filter((s) => s === `GET /v2/lying/blobs/${layer.digest}`).length, 1, 'the three clients shared one download');
    const cacheDir = path.join(proxy.stateRoot, 'registry/proxy');
    assert.deepEqual(readdirSync(path.join(cacheDir, 'ingest')), []);
    assert.deepEqual(readdirSync(path.join(cacheDir, 'blobs')), []);
    assert.match((await httpGet(`${proxy.base}/metrics`)).body.toString(), /^berth_proxy_digest_mismatch_total\{upstream="[^"]+"\} 1$/m);
    // skopeo, a real client, fails too.
    const skopeo = runCommand('/usr/bin/skopeo', ['copy', '--src-tls-verify=false', `docker://${proxy.host}/${counting.host.replace(':', '_')}/lying:latest`, `oci:${cacheDir}-skopeo:x`], {
      timeoutMs: 120_000,
      env: { PATH: '/usr/bin:/bin', HOME: '/root' },
    });
    await assert.rejects(skopeo);
    // Once the upstream tells the truth, the blob is fetched again (nothing bad was kept) and served.
    await corruptBlob(registry, layer.digest, good);
    const fixed = await httpGet(url);
    assert.equal(fixed.status, 200);
    assert.ok(fixed.body.equals(good));
  });

  it('refuses a manifest that does not match its digest, by digest and by tag', async () => {
    await corruptBlob(registry, other.manifest.digest, Buffer.from(other.manifest.bytes!.toString().replace('"schemaVersion":2', '"schemaVersion": 2')));
    for (const ref of [other.manifest.digest, 'latest']) {
      const res = await httpGet(`${proxy.base}/v2/${counting.host}/docs/manifests/${ref}`);
      assert.equal(res.status, 502, ref);
      assert.match(errorOf(res.body).message, /digest mismatch/);
    }
  });

  it('waits out a short Retry-After, and passes a long one on as 429', async () => {
    const ok = await httpGet(`${proxy.base}/v2/${counting.host}/limited/manifests/latest`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['docker-content-digest'], image.manifest.digest);
    assert.equal(limited, 3, 'two 429s, then the answer');
    const res = await httpGet(`${proxy.base}/v2/${counting.host}/throttled/manifests/latest`);
    assert.equal(res.status, 429);
    assert.equal(errorOf(res.body).code, 'TOOMANYREQUESTS');
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.equal(counting.seen.filter((s) => s.startsWith('GET /v2/throttled/')).length, 1, 'an hour is not waited for');
  });

  it('resumes a download the upstream cut short, from where it broke', async () => {
    const layer = other.layers[0]!;
    const ranges: string[] = [];
    let cut = false;
    const [host, port] = registry.host.split(':') as [string, string];
    const flaky = await startRegistryProxy(registry.host, (req, res) => {
      if (!req.url?.endsWith(`/blobs/${layer.digest}`)) return false;
      ranges.push(req.headers.range ?? '');
      if (cut) return false;
      cut = true;
      // The first answer stops after half the blob: the connection drops.
      http.get({ host, port: Number(port), path: req.url, headers: { host: registry.host } }, (up) => {
        res.writeHead(200, up.headers);
        let sent = 0;
        up.on('data', (chunk: Buffer) => {
          if (sent >= layer.size / 2) return void res.destroy();
          sent += chunk.length;
          res.write(chunk);
        });
      });
      return true;
    });
    const resuming = await startProxied({ upstreams: [flaky.host] });
    try {
      const res = await httpGet(`${resuming.base}/v2/${flaky.host}/docs/blobs/${layer.digest}`);
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(await readBlob(layer)));
      assert.equal(ranges.length, 2);
      assert.equal(ranges[0], '');
      assert.match(ranges[1]!, /^bytes=\d+-$/);
    } finally {
      await resuming.close();
      await flaky.close();
    }
  });
});
