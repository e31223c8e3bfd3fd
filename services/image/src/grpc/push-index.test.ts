import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { MANIFEST_ACCEPT, httpRequest, pushImage, startRegistry, tempDir, twoPlatformIndex, writeOciLayout, type ImageIndex, type RegistryFixture, type TempDir } from '@berth/fixtures';
import type { image } from '@berth/proto';
import { pull, startStack, type Stack } from '../testing/stack.js';

const run = promisify(execFile);

describe('multi-platform images: pull keeps the index, push sends it', () => {
  let stack: Stack;
  let other: RegistryFixture;
  let dir: TempDir;
  let index: ImageIndex;
  let source: string;
  const amd64 = () => index.images[0]!;
  const arm64 = () => index.images[1]!;

  const push = async (reference: string, platform?: { os: string; architecture: string; variant: string }): Promise<image.PushProgress[]> => {
    const out: image.PushProgress[] = [];
    for await (const p of stack.client.pushImage({ reference, ...(platform && { platform }) })) out.push(p);
    return out;
  };
  const remote = async (registry: RegistryFixture, repo: string, reference: string) => {
    const res = await httpRequest(`${registry.url}/v2/${repo}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } });
    return { status: res.status, digest: res.headers['docker-content-digest'], body: res.body };
  };
  const hasBlob = async (registry: RegistryFixture, repo: string, digest: string) =>
    (await httpRequest(`${registry.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status === 200;
  const inStore = async (digest: string) =>
    readFile(path.join(stack.root, 'content', 'blobs', 'sha256', digest.slice(7))).then(
      () => true,
      () => false,
    );

  before(async () => {
    stack = await startStack();
    other = await startRegistry();
    dir = tempDir('berth-push-index-');
    index = await twoPlatformIndex('service');
    await pushImage(stack.registry, 'multi', 'v1', index);
    source = `${stack.registry.host}/multi:v1`;
  });
  after(async () => {
    await index?.dispose();
    await dir?.cleanup();
    await other?.stop();
    await stack?.stop();
  });

  it('a pull keeps the index, every manifest and config, and only the host platform layers', async () => {
    const done = (await pull(stack.client, source)).at(-1)!.image!;
    assert.equal(done.id, amd64().config.digest, 'the image is the host platform config');
    assert.equal(done.indexDigest, index.manifest.digest);
    assert.ok(done.repoDigests.includes(`${stack.registry.host}/multi@${index.manifest.digest}`), done.repoDigests.join(' '));
    for (const d of [index.manifest.digest, amd64().manifest.digest, arm64().manifest.digest, arm64().config.digest]) assert.ok(await inStore(d), `${d} kept`);
    for (const l of arm64().layers) assert.equal(await inStore(l.digest), false, 'other platforms layers are not fetched by default');
  });

  it('pushing the whole index without the arm64 layers fails naming the platform, and pushes nothing under the tag', async () => {
    const target = `${other.host}/partial:v1`;
    await stack.client.tagImage({ source, target });
    await assert.rejects(push(target), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'failed_precondition');
      assert.match(err.message, /platform linux\/arm64 is not in the local content store/);
      assert.match(err.message, /--all-platforms/);
      assert.match(err.message, /--platform linux\/amd64/);
      return true;
    });
    assert.equal((await remote(other, 'partial', 'v1')).status, 404);
    for (const l of amd64().layers) assert.equal(await hasBlob(other, 'partial', l.digest), false, 'no blob was uploaded');
  });

  it('--platform linux/amd64 pushes that manifest alone under the tag', async () => {
    const target = `${other.host}/partial:amd64`;
    await stack.client.tagImage({ source, target });
    const progress = await push(target, { os: 'linux', architecture: 'amd64', variant: '' });
    assert.equal(progress.at(-1)!.pushed!.digest, amd64().manifest.digest);
    const got = await remote(other, 'partial', 'amd64');
    assert.equal(got.digest, amd64().manifest.digest);
    assert.equal(got.body.toString(), amd64().manifest.bytes!.toString(), 'byte for byte');
    await assert.rejects(push(target, { os: 'linux', architecture: 's390x', variant: '' }), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'not_found');
      assert.match(err.message, /no suitable image manifest found for platform linux\/s390x: .* has linux\/amd64, linux\/arm64/);
      return true;
    });
  });

  it('an all-platforms pull fetches the other layers (unpacked only for the host), then the index is pushed whole', async () => {
    const progress = [];
    for await (const p of stack.client.pullImage({ reference: source, allPlatforms: true })) progress.push(p);
    for (const l of arm64().layers) assert.ok(await inStore(l.digest), `arm64 layer ${l.digest} fetched`);
    // The GC (prune runs it without grace) keeps the index's content: the image references it.
    await stack.client.pruneImages({ all: false, filters: [] });
    for (const l of arm64().layers) assert.ok(await inStore(l.digest), `arm64 layer ${l.digest} survives the GC`);

    const target = `${other.host}/whole:v1`;
    await stack.client.tagImage({ source, target });
    const pushed = await push(target);
    assert.equal(pushed.at(-1)!.pushed!.digest, index.manifest.digest);
    const top = await remote(other, 'whole', 'v1');
    assert.equal(top.digest, index.manifest.digest);
    const manifests = (JSON.parse(top.body.toString()) as { manifests: Array<{ digest: string; platform: { architecture: string } }> }).manifests;
    assert.deepEqual(manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);
    for (const img of index.images) {
      assert.equal((await remote(other, 'whole', img.manifest.digest)).status, 200);
      for (const b of [img.config, ...img.layers]) assert.ok(await hasBlob(other, 'whole', b.digest), `${b.digest} in the registry`);
    }
    const view = (await stack.client.getImage({ reference: target })).image!;
    assert.ok(view.repoDigests.includes(`${other.host}/whole@${index.manifest.digest}`), view.repoDigests.join(' '));
  });

  it('a loaded archive holding an index (docker save 25+: manifest.json and index.json) keeps all of it and pushes the index', async () => {
    const local = await twoPlatformIndex('loaded');
    try {
      const layout = path.join(dir.path, 'layout');
      await writeOciLayout(layout, local, `${other.host}/loaded:v1`);
      // The docker-archive side lists the host platform only, as Docker's containerd store writes it.
      const host = local.images[0]!;
      const file = (digest: string) => `blobs/sha256/${digest.slice(7)}`;
      await writeFile(path.join(layout, 'manifest.json'), JSON.stringify([{ Config: file(host.config.digest), RepoTags: [`${other.host}/loaded:v1`], Layers: host.layers.map((l) => file(l.digest)) }]));
      const archive = path.join(dir.path, 'loaded.tar');
      await run('tar', ['-cf', archive, '-C', layout, '.']);
      const bytes = await readFile(archive);
      const loaded = await stack.client.loadImages(
        (async function* () {
          for (let i = 0; i < bytes.length; i += 100_000) yield { data: bytes.subarray(i, i + 100_000) };
        })(),
      );
      assert.deepEqual(loaded.messages, [`Loaded image: ${other.host}/loaded:v1`]);
      assert.equal(loaded.images[0]!.id, local.images[0]!.config.digest);
      assert.equal(loaded.images[0]!.indexDigest, local.manifest.digest);

      const pushed = await push(`${other.host}/loaded:v1`);
      assert.equal(pushed.at(-1)!.pushed!.digest, local.manifest.digest);
      assert.equal((await remote(other, 'loaded', 'v1')).digest, local.manifest.digest);
      for (const b of local.images.flatMap((i) => [i.config, ...i.layers])) assert.ok(await hasBlob(other, 'loaded', b.digest));
    } finally {
      await local.dispose();
    }
  });
});
