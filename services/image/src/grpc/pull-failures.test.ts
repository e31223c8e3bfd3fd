import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { busyboxImage, busyboxIndex, corruptBlob, ImageBuilder, pushBlob, pushImage, putManifest, readBlob, sha256Digest, type Blob, type Image } from '@berth/fixtures';
import { pull, startStack, type Stack } from '../testing/stack.js';

const MiB = 1024 * 1024;

describe('PullImage: lying registries, bombs, formats, resume', () => {
  let stack: Stack;
  const disposables: Array<{ dispose(): Promise<void> }> = [];

  const build = async (b: ImageBuilder) => {
    const img = await b.build();
    disposables.push(img);
    return img;
  };
  const nothingCommitted = async () => {
    assert.deepEqual(await readdir(path.join(stack.root, 'snapshots')), ['empty'], 'no snapshot, committed or not');
    assert.deepEqual(await readdir(path.join(stack.root, 'content/ingest')), [], 'no ingest kept');
    assert.deepEqual((await stack.client.listImages({ all: true, filters: [] })).images, []);
  };
  const blobs = () => readdir(path.join(stack.root, 'content/blobs/sha256'));

  before(async () => {
    stack = await startStack({ limits: { maxLayerBytes: 8 * MiB } });
  });
  after(async () => {
    for (const d of disposables) await d.dispose();
    await stack?.stop();
  });

  it('fails with data_loss and commits nothing when a layer blob is corrupted', async () => {
    const img = await build(new ImageBuilder().layer((l) => l.file('base', 'base')).layer((l) => l.randomFile('big', 2 * MiB)));
    await pushImage(stack.registry, 'corrupt', 'latest', img, { corruptBlobDigest: img.layers[1]!.digest });
    await assert.rejects(pull(stack.client, `${stack.registry.host}/corrupt`), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'data_loss');
      assert.match(err.message, new RegExp(img.layers[1]!.digest.slice(7)));
      return true;
    });
    await nothingCommitted();
    assert.ok(!(await blobs()).includes(img.layers[1]!.digest.slice(7)));
    assert.equal(stack.events.events.filter((e) => e.Action === 'pull').length, 0);
  });

  it('reports the digest mismatch, not the gzip error, when a blob is corrupted midway', async () => {
    const img = await build(new ImageBuilder().layer((l) => l.randomFile('big', 6 * MiB, 'mid')));
    const bytes = Buffer.from(await readBlob(img.layers[0]!));
    bytes.fill(0x55, 3 * MiB, 3 * MiB + 4096);
    await pushImage(stack.registry, 'midway', 'latest', img);
    await corruptBlob(stack.registry, img.layers[0]!.digest, bytes);
    await assert.rejects(pull(stack.client, `${stack.registry.host}/midway`), { kind: 'data_loss', message: /digest mismatch/ });
    await nothingCommitted();
  });

  it('fails with data_loss when the config blob is corrupted', async () => {
    const img = await build(new ImageBuilder().layer((l) => l.file('a', 'a')));
    await pushImage(stack.registry, 'badconfig', 'latest', img, { corruptBlobDigest: img.config.digest });
    await assert.rejects(pull(stack.client, `${stack.registry.host}/badconfig`), { kind: 'data_loss' });
    await nothingCommitted();
  });

  it('fails when the layer does not match the diff ID the config claims', async () => {
    const img = await build(new ImageBuilder().layer((l) => l.file('a', 'a')));
    const lie = { ...img.configJson, rootfs: { type: 'layers' as const, diff_ids: [sha256Digest(Buffer.from('lie'))] } };
    const config = blobOf(img.config.mediaType, lie);
    const manifest = blobOf(img.manifest.mediaType, { ...img.manifestJson, config: { mediaType: config.mediaType, digest: config.digest, size: config.size } });
    const base = `${stack.registry.url}/v2/liar`;
    await pushBlob(base, config);
    await pushBlob(base, img.layers[0]!);
    await putManifest(base, 'latest', manifest);
    await assert.rejects(pull(stack.client, `${stack.registry.host}/liar`), { kind: 'data_loss', message: /the image config says/ });
    await nothingCommitted();
  });

  it('stops a gzip bomb at the decompressed size limit', async () => {
    const zeros = () => Readable.from((function* () { for (let i = 0; i < 64; i++) yield Buffer.alloc(MiB); })());
    const img = await build(new ImageBuilder().layer((l) => l.raw({ name: 'bomb', type: 'file', mode: 0o644 }, { size: 64 * MiB, open: zeros })));
    assert.ok(img.layers[0]!.size < MiB);
    await pushImage(stack.registry, 'bomb', 'latest', img);
    await assert.rejects(pull(stack.client, `${stack.registry.host}/bomb`), { kind: 'resource_exhausted' });
    await nothingCommitted();
  });

  for (const [name, opts] of [
    ['zstd', { compression: 'zstd' }],
    ['uncompressed', { compression: 'none' }],
    ['docker schema2', { format: 'docker' }],
  ] as const) {
    it(`pulls ${name} layers`, async () => {
      const img = await build(new ImageBuilder(opts).layer((l) => l.file('etc/os', name)).layer((l) => l.file('etc/two', '2')));
      await pushImage(stack.registry, `fmt-${name.replace(/\W/g, '')}`, 'v1', img);
      const progress = await pull(stack.client, `${stack.registry.host}/fmt-${name.replace(/\W/g, '')}:v1`);
      assert.equal(progress.at(-1)!.image!.id, img.config.digest);
      assert.ok(await snapshotHasFile(stack, 'etc/os', name));
    });
  }

  it('selects linux/amd64 from a multi-platform index', async () => {
    const index = await busyboxIndex();
    disposables.push(index);
    const digest = await pushImage(stack.registry, 'multi', 'latest', index);
    const last = (await pull(stack.client, `${stack.registry.host}/multi`)).at(-1)!;
    const amd64 = index.images.find((i) => i.platform.architecture === 'amd64')!;
    assert.equal(last.image!.id, amd64.config.digest);
    assert.deepEqual(last.image!.repoDigests, [`${stack.registry.host}/multi@${digest}`]);
    assert.equal(last.image!.manifestDigest, amd64.manifest.digest);
  });

  it('resumes a layer download from a partial ingest', async () => {
    const img: Image = await busyboxImage({ extraLayers: [(l) => l.randomFile('data', 3 * MiB, 'resume')] });
    disposables.push(img);
    await pushImage(stack.registry, 'resume', 'latest', img);
    const layer = img.layers[1]!;
    const half = Math.floor(layer.size / 2);
    await mkdir(path.join(stack.root, 'content/ingest'), { recursive: true });
    await writeFile(path.join(stack.root, 'content/ingest', `layer-${layer.digest.slice(7)}`), (await readBlob(layer)).subarray(0, half));
    const progress = await pull(stack.client, `${stack.registry.host}/resume`);
    const downloads = progress.filter((p) => p.id === layer.digest.slice(7, 19) && p.status === 'Downloading');
    assert.equal(downloads[0]!.current, half, 'starts where the partial ingest ended');
    assert.equal(downloads.at(-1)!.current, layer.size);
    assert.equal(progress.at(-1)!.image!.id, img.config.digest);
  });
});

function blobOf(mediaType: string, value: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(value));
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes };
}

async function snapshotHasFile(stack: Stack, rel: string, content: string): Promise<boolean> {
  for (const n of await readdir(path.join(stack.root, 'snapshots'))) {
    const text = await readFile(path.join(stack.root, 'snapshots', n, 'fs', rel), 'utf8').catch(() => undefined);
    if (text === content) return true;
  }
  return false;
}
