import assert from 'node:assert/strict';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageBuilder, pushBlob, sha256Digest, type Image } from '@berth/fixtures';
import { isBlobGet, startRegistryShim, type RegistryShim } from '../testing/registry-shim.js';
import { pull, startStack, type Stack } from '../testing/stack.js';

const MiB = 1024 * 1024;

/**
 * What a hostile image or registry can try beyond the tar entries themselves (those are in
 * store/layer-applier-safety.test.ts): media types, sizes, devices, setuid. Manifests are served
 * through a shim, since the registry refuses to store them.
 */
describe('PullImage refuses hostile manifests and contains hostile layers', () => {
  let stack: Stack;
  let shim: RegistryShim;
  const images: Image[] = [];

  /** Serves `manifest` for `<repo>:latest` (the blobs it names come from the real registry). */
  const serve = (repo: string, manifest: unknown) => {
    const body = JSON.stringify(manifest);
    shim.rule = (req) =>
      req.url === `/v2/${repo}/manifests/latest`
        ? { respond: { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': sha256Digest(Buffer.from(body)) }, body: req.method === 'HEAD' ? '' : body } }
        : undefined;
  };
  const nothingStored = async () => {
    assert.deepEqual(await readdir(path.join(stack.root, 'snapshots')), ['empty']);
    assert.deepEqual((await stack.client.listImages({ all: true, filters: [] })).images, []);
  };
  const build = async (b: ImageBuilder, repo: string) => {
    const img = await b.build();
    images.push(img);
    for (const blob of [img.config, ...img.layers]) await pushBlob(`${stack.registry.url}/v2/${repo}`, blob);
    return img;
  };

  before(async () => {
    stack = await startStack();
    shim = await startRegistryShim(stack.registry.host);
  });
  after(async () => {
    for (const i of images) await i.dispose();
    await shim?.close();
    await stack?.stop();
  });

  it('refuses a layer media type it cannot unpack', async () => {
    const img = await build(new ImageBuilder().layer((l) => l.file('a', 'a')), 'mtype');
    serve('mtype', { ...img.manifestJson, layers: [{ ...img.manifestJson.layers[0]!, mediaType: 'application/vnd.example.exe' }] });
    await assert.rejects(pull(stack.client, `${shim.host}/mtype`), { kind: 'invalid_argument', message: /unsupported layer media type "application\/vnd\.example\.exe"/ });
    await nothingStored();
  });

  it('refuses a config larger than the limit before fetching it', async () => {
    const img = await build(new ImageBuilder().layer((l) => l.file('a', 'a')), 'bigconfig');
    serve('bigconfig', { ...img.manifestJson, config: { ...img.manifestJson.config, size: 9 * MiB } });
    shim.log.length = 0;
    // The registry service's Resolve reads a single-platform image's config for its platform and
    // stops first; for an index, the image service's own limit stops it: both before any byte.
    await assert.rejects(pull(stack.client, `${shim.host}/bigconfig`), (err: Error & { kind?: string }) => {
      assert.ok(['invalid_argument', 'failed_precondition'].includes(err.kind ?? ''), String(err.kind));
      assert.match(err.message, /too large|more than the limit/);
      return true;
    });
    assert.ok(!shim.log.some((r) => isBlobGet(r.method, r.path, img.config.digest)), 'the config was not fetched');
    await nothingStored();
  });

  it('stores nothing when the registry sends more config bytes than the manifest said', async () => {
    const img = await build(new ImageBuilder().layer((l) => l.file('a', 'a')), 'longconfig');
    serve('longconfig', { ...img.manifestJson, config: { ...img.manifestJson.config, size: 10 } });
    await assert.rejects(pull(stack.client, `${shim.host}/longconfig`), { kind: 'data_loss' });
    assert.ok(!(await readdir(path.join(stack.root, 'content/blobs/sha256'))).includes(img.config.digest.slice(7)));
    await nothingStored();
  });

  it('refuses a manifest larger than the limit', async () => {
    const img = await build(new ImageBuilder().layer((l) => l.file('a', 'a')), 'bigmanifest');
    serve('bigmanifest', { ...img.manifestJson, annotations: { padding: 'x'.repeat(5 * MiB) } });
    await assert.rejects(pull(stack.client, `${shim.host}/bigmanifest`), (err: Error & { kind?: string }) => ['invalid_argument', 'failed_precondition'].includes(err.kind ?? ''));
    await nothingStored();
  });

  it('leaves device nodes out, keeps setuid bits, and keeps the store out of reach of other users', async () => {
    const img = await build(
      new ImageBuilder().layer((l) => l.device('dev/sda', 'block', 8, 0, { mode: 0o666 }).device('dev/kmem', 'char', 1, 2, { mode: 0o666 }).file('bin/su', 'ELF', { mode: 0o4755 })),
      'devices',
    );
    serve('devices', img.manifestJson);
    const last = (await pull(stack.client, `${shim.host}/devices`)).at(-1)!;
    assert.equal(last.image!.id, img.config.digest, 'the diff ID still verifies: it is the tar that is hashed');
    const [snap] = (await readdir(path.join(stack.root, 'snapshots'))).filter((n) => /^\d+$/.test(n));
    const fs = path.join(stack.root, 'snapshots', snap!, 'fs');
    await assert.rejects(lstat(path.join(fs, 'dev/sda')), { code: 'ENOENT' });
    await assert.rejects(lstat(path.join(fs, 'dev/kmem')), { code: 'ENOENT' });
    assert.equal((await lstat(path.join(fs, 'bin/su'))).mode & 0o7777, 0o4755);
    // The setuid bit is the image's: on the host, nothing under the store is reachable by others.
    assert.equal((await stat(stack.root)).mode & 0o077, 0, `${stack.root} is 0700`);
  });
});
