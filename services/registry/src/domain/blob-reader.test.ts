import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isDataLoss, isInvalidArgument, isNotFound } from '@berth/kit';
import { corruptBlob, ImageBuilder, pushImage, randomBytes, readBlob, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import { Registry } from './registry.js';
import type { BlobStream } from './blob-reader.js';

async function collect(blob: BlobStream): Promise<{ bytes: Buffer; chunks: number; error?: Error }> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of blob.chunks) parts.push(chunk);
  } catch (error) {
    return { bytes: Buffer.concat(parts), chunks: parts.length, error: error as Error };
  }
  return { bytes: Buffer.concat(parts), chunks: parts.length };
}

/** An image whose only layer is unique to this run (so corrupting it touches nothing else). */
async function uniqueImage(size: number): Promise<Image> {
  const content = await randomBytes(size, randomUUID());
  return new ImageBuilder({ compression: 'none' }).layer((l) => l.file('data.bin', content)).build();
}

describe('Registry.fetchBlob against docker-registry', () => {
  let reg: RegistryFixture;
  let registry: Registry;
  let image: Image;
  let layer: Buffer;
  let repo: string;

  before(async () => {
    reg = await startRegistry();
    registry = new Registry();
    image = await uniqueImage(3 * 1024 * 1024);
    await pushImage(reg, 'blobs', 'latest', image);
    layer = await readBlob(image.layers[0]!);
    repo = `${reg.host}/blobs`;
  });

  after(async () => {
    registry?.close();
    await image?.dispose();
    await reg?.stop();
  });

  it('streams exactly the bytes, verified, in several chunks', async () => {
    const blob = await registry.fetchBlob(repo, image.layers[0]!.digest);
    assert.equal(blob.totalSize, layer.length);
    const got = await collect(blob);
    assert.equal(got.error, undefined);
    assert.ok(got.chunks > 1, `expected a stream, got ${got.chunks} chunk(s)`);
    assert.ok(got.bytes.equals(layer));
  });

  it('resumes from an offset with Range', async () => {
    for (const offset of [1, 1_000_000, layer.length - 1, layer.length]) {
      const blob = await registry.fetchBlob(repo, image.layers[0]!.digest, { offset });
      assert.equal(blob.totalSize, layer.length, `offset ${offset}`);
      const got = await collect(blob);
      assert.equal(got.error, undefined);
      assert.ok(got.bytes.equals(layer.subarray(offset)), `offset ${offset}`);
    }
    await assert.rejects(registry.fetchBlob(repo, image.layers[0]!.digest, { offset: layer.length + 10 }), isInvalidArgument);
  });

  it('stats a blob and reads a small one whole', async () => {
    assert.equal((await registry.statBlob(repo, image.config.digest)).size, image.config.size);
    const blob = await registry.fetchBlob(repo, image.config.digest);
    assert.deepEqual((await collect(blob)).bytes, image.config.bytes);
  });

  it('reports an unknown blob as not_found', async () => {
    const missing = `sha256:${'1'.repeat(64)}`;
    await assert.rejects(registry.fetchBlob(repo, missing), (err: Error) => isNotFound(err) && err.message.includes(missing));
    await assert.rejects(registry.statBlob(repo, missing), isNotFound);
    await assert.rejects(registry.fetchBlob(repo, 'sha256:short'), isInvalidArgument);
  });

  it('ends a corrupted blob with data_loss after its bytes, and releases the connection on early exit', async () => {
    const bad = await uniqueImage(256 * 1024);
    try {
      const digest = bad.layers[0]!.digest;
      await pushImage(reg, 'corrupt', 'latest', bad, { corruptBlobDigest: digest });
      const got = await collect(await registry.fetchBlob(`${reg.host}/corrupt`, digest));
      assert.ok(got.error && isDataLoss(got.error), String(got.error));
      assert.match(got.error.message, new RegExp(`^digest mismatch for ${digest}: got sha256:[a-f0-9]{64}$`));
      assert.equal(got.bytes.length, bad.layers[0]!.size, 'every byte was delivered before the error');
      // From an offset there is nothing to verify against: the consumer checks its whole file.
      const partial = await collect(await registry.fetchBlob(`${reg.host}/corrupt`, digest, { offset: 10 }));
      assert.equal(partial.error, undefined);
      // A consumer that stops early must not hold the connection open.
      const early = await registry.fetchBlob(repo, image.layers[0]!.digest);
      for await (const _ of early.chunks) break;
      assert.ok((await collect(await registry.fetchBlob(repo, image.layers[0]!.digest))).bytes.equals(layer));
    } finally {
      await bad.dispose();
    }
  });
});
