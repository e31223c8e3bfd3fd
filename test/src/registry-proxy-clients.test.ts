// Third-party clients through berth's pull-through proxy, served by a whole berth stack (A) in front
// of two real docker-registry instances: skopeo, podman (a temp registries.conf naming the proxy as
// a mirror, a temp storage root), and a second berth stack (B) whose `[registry] mirrors` point at
// the proxy. Also `docker search` through the gateway (the Engine API's /images/search →
// `_catalog`), and what clients see once an upstream is gone.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '@berth/kit';
import { busyboxImage, freePort, httpRequest, pushImage, startRegistry, tempDir, waitUntil, type Image, type RegistryFixture, type TempDir } from '@berth/fixtures';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth, docker } from './harness/cli.js';
import { parsePrometheus, value } from './harness/prometheus.js';

let one: RegistryFixture;
let oneStopped = false;
let two: RegistryFixture;
const images: Record<string, Image> = {};
let work: TempDir;
/** The stack serving the proxy, and the stack using it as its mirror. */
let a: TestStack;
let b: TestStack;
/** "127.0.0.1:PORT" of the proxy. */
let proxy: string;

/** How a proxy client names an upstream inside a repository name: `127.0.0.1_5001` (no ':' in names). */
const spelled = (host: string) => host.replace(':', '_');
const skopeo = (args: string[]) => runCommand('/usr/bin/skopeo', args, { timeoutMs: 120_000, env: { PATH: '/usr/bin:/bin', HOME: work.path } });

before(async () => {
  work = tempDir('berth-proxy-clients-');
  [one, two] = await Promise.all([startRegistry(), startRegistry()]);
  const made = (origin: string) => busyboxImage({ extraLayers: [(l) => l.file('/etc/origin', `${origin}\n`)] });
  for (const name of ['one', 'two', 'podman', 'mirrored', 'mirrored-two', 'never-pulled']) images[name] = await made(name);
  await pushImage(one, 'apps/one', '1.0', images.one!);
  await pushImage(one, 'apps/mirrored', '1.0', images.mirrored!);
  await pushImage(one, 'apps/never-pulled', '1.0', images['never-pulled']!);
  await pushImage(two, 'apps/two', '1.0', images.two!);
  await pushImage(two, 'apps/podman', '1.0', images.podman!);
  await pushImage(two, 'apps/mirrored-two', '1.0', images['mirrored-two']!);

  proxy = `127.0.0.1:${await freePort()}`;
  const configA = path.join(work.path, 'a.toml');
  writeFileSync(
    configA,
    [
      '[registry.proxy]',
      `address = "${proxy}"`,
      'default_upstream = ""',
      `upstreams = ["${one.host}", "${two.host}"]`,
      '[registry.proxy.routes]',
      `second = "${two.host}"`,
      '',
    ].join('\n'),
  );
  a = await startTestStack({ env: { BERTH_CONFIG: configA } });
  await waitUntil(async () => (await httpRequest(`http://${proxy}/v2/`, { timeoutMs: 1_000 })).status === 200, { what: `the proxy on ${proxy}` });
  // B: each upstream mirrored by the same proxy, one by host, one by route.
  const configB = path.join(work.path, 'b.toml');
  writeFileSync(
    configB,
    ['[registry.mirrors]', `"${one.host}" = ["http://${proxy}/${spelled(one.host)}"]`, `"${two.host}" = ["http://${proxy}/second"]`, ''].join('\n'),
  );
  b = await startTestStack({ env: { BERTH_CONFIG: configB } });
});

after(async () => {
  await b?.stop();
  await a?.stop();
  await Promise.all([oneStopped ? undefined : one?.stop(), two?.stop()]);
  await Promise.all(Object.values(images).map((i) => i.dispose()));
  await work?.cleanup();
});

async function proxyMetrics() {
  return parsePrometheus((await httpRequest(`http://${proxy}/metrics`)).body.toString());
}

async function catalog(prefix = ''): Promise<string[]> {
  const res = await httpRequest(`http://${proxy}${prefix}/v2/_catalog`);
  assert.equal(res.status, 200, res.body.toString());
  return (JSON.parse(res.body.toString()) as { repositories: string[] }).repositories;
}

test('skopeo copies from both upstreams through the proxy of a berth stack, digests intact', async () => {
  const layout = path.join(work.path, 'layout');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${proxy}/${spelled(one.host)}/apps/one:1.0`, `oci:${layout}:one`]);
  await skopeo(['copy', '--src-tls-verify=false', `docker://${proxy}/second/apps/two:1.0`, `oci:${layout}:two`]);
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
  const byTag = Object.fromEntries(index.manifests.map((m) => [m.annotations['org.opencontainers.image.ref.name'], m.digest]));
  assert.deepEqual(byTag, { one: images.one!.manifest.digest, two: images.two!.manifest.digest });
  const metrics = await proxyMetrics();
  for (const upstream of [one.host, two.host]) {
    assert.ok((value(metrics, 'berth_proxy_upstream_bytes_total', { upstream }) ?? 0) > 0, `blob bytes fetched from ${upstream}`);
  }
  // skopeo asked the proxy, the proxy asked the registries: each holds what it fetched.
  assert.match(one.logs(), /"(GET|HEAD) \/v2\/apps\/one\/manifests\/1\.0 HTTP/);
  assert.match(two.logs(), /"(GET|HEAD) \/v2\/apps\/two\/manifests\/1\.0 HTTP/);
});

test('podman pulls with the proxy as the registry mirror of registries.conf, storage in a temp root', async () => {
  const dir = path.join(work.path, 'podman');
  mkdirSync(dir);
  const conf = path.join(dir, 'registries.conf');
  // The registry's own location is a closed port: the image can only come through the mirror.
  writeFileSync(
    conf,
    [
      'unqualified-search-registries = []',
      '[[registry]]',
      `prefix = "${two.host}"`,
      'location = "127.0.0.1:9"',
      'insecure = true',
      '[[registry.mirror]]',
      `location = "${proxy}/second"`,
      'insecure = true',
      '[[registry]]',
      `location = "${proxy}"`,
      'insecure = true',
      '',
    ].join('\n'),
  );
  // Locks, network config and libpod's state in `dir` too (the defaults are /dev/shm, /etc and /run).
  const engine = path.join(dir, 'containers.conf');
  writeFileSync(
    engine,
    ['[engine]', 'lock_type = "file"', 'events_logger = "none"', 'cgroup_manager = "cgroupfs"', `tmp_dir = "${path.join(dir, 'tmp')}"`, '[network]', `network_config_dir = "${path.join(dir, 'networks')}"`, ''].join('\n'),
  );
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir, TMPDIR: dir, XDG_RUNTIME_DIR: dir, CONTAINERS_REGISTRIES_CONF: conf, CONTAINERS_CONF: engine };
  // vfs: plain directories, nothing mounted that could outlive the test.
  const global = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'vfs'];
  const podman = (args: string[]) => runCommand('/usr/bin/podman', [...global, ...args], { timeoutMs: 180_000, env });
  try {
    const viaMirror = `${two.host}/apps/podman:1.0`;
    await podman(['pull', '--tls-verify=false', viaMirror]);
    const direct = `${proxy}/${spelled(one.host)}/apps/one:1.0`;
    await podman(['pull', '--tls-verify=false', direct]);
    const digest = async (ref: string) => (await podman(['image', 'inspect', '--format', '{{.Digest}}', ref])).stdout.trim();
    assert.equal(await digest(viaMirror), images.podman!.manifest.digest);
    assert.equal(await digest(direct), images.one!.manifest.digest);
    assert.ok((await catalog('/second')).includes('apps/podman'), 'the proxy served and cached the mirrored pull');
  } finally {
    // Nothing of podman's outlives the test: its root, runroot, tmp_dir and locks are all in `dir`.
    await runCommand('/usr/bin/podman', [...global, 'rmi', '--all', '--force'], { timeoutMs: 60_000, env }).catch((err: unknown) => {
      // Removing `dir` below takes the images with it anyway; say why this did not work.
      console.error('podman rmi --all failed:', (err as Error).message);
    });
  }
});

test('a second berth stack pulls through the proxy as its mirror, for both upstreams', async () => {
  const before = await proxyMetrics();
  const pulled: Array<[string, Image, RegistryFixture]> = [
    [`${one.host}/apps/mirrored:1.0`, images.mirrored!, one],
    [`${two.host}/apps/mirrored-two:1.0`, images['mirrored-two']!, two],
  ];
  for (const [ref, image] of pulled) {
    const pull = await docker(b.socket, ['pull', ref], { timeoutMs: 120_000 });
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(`Digest: ${image.manifest.digest}`));
    const inspect = JSON.parse((await docker(b.socket, ['image', 'inspect', ref])).stdout) as Array<{ RepoDigests: string[] }>;
    assert.deepEqual(inspect[0]!.RepoDigests, [`${ref.replace(/:1\.0$/, '')}@${image.manifest.digest}`]);
  }
  const after = await proxyMetrics();
  for (const [ref, image, upstream] of pulled) {
    const fetched = (value(after, 'berth_proxy_upstream_bytes_total', { upstream: upstream.host }) ?? 0) - (value(before, 'berth_proxy_upstream_bytes_total', { upstream: upstream.host }) ?? 0);
    const layers = image.layers.reduce((n, l) => n + l.size, 0);
    // The busybox layer is shared with what skopeo pulled before; the image's own layer is new.
    assert.ok(fetched >= image.layers.at(-1)!.size && fetched <= layers + image.config.size, `${ref}: ${fetched} bytes from ${upstream.host}`);
  }
  const served = (m: typeof before) => value(m, 'berth_proxy_requests_total', { op: 'manifest', code: '200' }) ?? 0;
  assert.ok(served(after) - served(before) >= 2, 'B asked the proxy for both manifests');
  assert.ok((await catalog(`/${spelled(one.host)}`)).includes('apps/mirrored'));
  assert.ok((await catalog('/second')).includes('apps/mirrored-two'));
  // B never needed the registries themselves: its log has no mirror failure.
  assert.doesNotMatch(b.logs('registry'), /mirror failed/);
});

test('docker search lists a private registry through the gateway, and the proxy by pullable names', async () => {
  const found = await docker(a.socket, ['search', '--format', '{{.Name}}|{{.Description}}|{{.StarCount}}|{{.IsOfficial}}', `${a.registry.host}/busy`]);
  assert.equal(found.code, 0, found.stderr);
  // The CLI shows "[OK]" for official images, nothing otherwise.
  assert.deepEqual(found.stdout.trim().split('\n'), [`${a.registry.host}/busybox||0|`]);
  const table = await docker(a.socket, ['search', `${a.registry.host}/busybox`]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL/);
  assert.match(table.stdout, new RegExp(`^${a.registry.host}/busybox\\s+0`, 'm'));
  const none = await docker(a.socket, ['search', '--filter', 'is-official=true', `${a.registry.host}/busy`]);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout.trim().split('\n').length, 1, 'only the header');
  // The proxy's catalog is what it has cached, under names it can serve again.
  const viaProxy = await docker(a.socket, ['search', '--format', '{{.Name}}', `${proxy}/apps`]);
  assert.equal(viaProxy.code, 0, viaProxy.stderr);
  const names = viaProxy.stdout.trim().split('\n');
  const expected = `${proxy}/${spelled(one.host)}/apps/one`;
  assert.ok(names.includes(expected), names.join(', '));
  const pull = await docker(a.socket, ['pull', `${expected}:1.0`], { timeoutMs: 120_000 });
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, new RegExp(`Digest: ${images.one!.manifest.digest}`));
  const bad = await docker(a.socket, ['search', '--limit', '101', `${a.registry.host}/busy`]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /limit/);
  // berth's own CLI: the same columns and answers.
  const ours = await berth(a.socket, ['search', `${a.registry.host}/busybox`]);
  assert.equal(ours.code, 0, ours.stderr);
  assert.match(ours.stdout, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL\n/);
  assert.match(ours.stdout, new RegExp(`^${a.registry.host}/busybox\\s+0`, 'm'));
  const oursFormat = await berth(a.socket, ['search', '--limit', '5', '--format', '{{.Name}}', `${proxy}/apps`]);
  assert.equal(oursFormat.code, 0, oursFormat.stderr);
  assert.ok(oursFormat.stdout.trim().split('\n').includes(expected));
  const oursOfficial = await berth(a.socket, ['search', '-f', 'is-official=true', `${a.registry.host}/busy`]);
  assert.equal(oursOfficial.stdout.trim().split('\n').length, 1, 'only the header');
  const oursBad = await berth(a.socket, ['search', '--limit', '101', `${a.registry.host}/busy`]);
  assert.notEqual(oursBad.code, 0);
  assert.match(oursBad.stderr, /limit/);
});

test('with an upstream gone, cached images still pull through the proxy; an uncached one fails clearly', async (t) => {
  oneStopped = true;
  await one.stop();
  // B again, after forgetting the image: the proxy serves it from its cache.
  const ref = `${one.host}/apps/mirrored:1.0`;
  assert.equal((await docker(b.socket, ['rmi', ref])).code, 0);
  const again = await docker(b.socket, ['pull', ref], { timeoutMs: 120_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`Digest: ${images.mirrored!.manifest.digest}`));
  // skopeo straight from the proxy: the same.
  const layout = path.join(work.path, 'offline');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${proxy}/${spelled(one.host)}/apps/one:1.0`, `oci:${layout}:one`]);
  // Never pulled: the proxy cannot have it, and says why.
  const res = await httpRequest(`http://${proxy}/${spelled(one.host)}/v2/apps/never-pulled/manifests/1.0`);
  assert.equal(res.status, 503);
  const error = (JSON.parse(res.body.toString()) as { errors: Array<{ code: string; message: string }> }).errors[0]!;
  assert.equal(error.code, 'UNAVAILABLE');
  assert.match(error.message, new RegExp(`^${one.host}/apps/never-pulled:1.0 is not in the proxy's cache and its registry cannot be reached`));
  const missing = await docker(b.socket, ['pull', `${one.host}/apps/never-pulled:1.0`], { timeoutMs: 120_000 });
  assert.notEqual(missing.code, 0);
  t.diagnostic(`docker pull of an uncached image: ${missing.stderr.trim()}`);
  assert.match(missing.stderr, new RegExp(`${one.host.replace(/\./g, '\\.')}.*(refused|unreachable|cannot be reached)`, 'i'));
});
