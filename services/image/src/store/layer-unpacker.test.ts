import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createGzip, gzipSync } from 'node:zlib';
import { errorKind } from '@berth/kit';
import { LayerBuilder, tarStream, tempDir, type TempDir } from '@berth/fixtures';
import { StreamingLayerUnpacker } from './layer-unpacker.js';
import { CommandNodeTools } from './node-tools.js';

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('StreamingLayerUnpacker', () => {
  let dir: TempDir;
  let tarBytes: Buffer;
  let n = 0;
  const unpacker = new StreamingLayerUnpacker(new CommandNodeTools(), 1024 * 1024);

  const target = async () => {
    const d = path.join(dir.path, `t${++n}`);
    await mkdir(d);
    return { dir: d, lowers: async () => [] };
  };

  before(async () => {
    dir = tempDir('berth-unpacker-');
    tarBytes = await bytesOf(tarStream(new LayerBuilder().file('hello', 'hi\n').dir('d').file('d/x', 'x').entries));
  });
  after(() => dir.cleanup());

  const cases: Array<[string, string, () => Buffer]> = [
    ['gzip (docker)', 'application/vnd.docker.image.rootfs.diff.tar.gzip', () => gzipSync(tarBytes)],
    ['gzip (oci)', 'application/vnd.oci.image.layer.v1.tar+gzip', () => gzipSync(tarBytes)],
    ['uncompressed', 'application/vnd.oci.image.layer.v1.tar', () => tarBytes],
    ['zstd', 'application/vnd.oci.image.layer.v1.tar+zstd', () => spawnSync('zstd', ['-q', '-c'], { input: tarBytes }).stdout],
  ];
  for (const [name, mediaType, blob] of cases) {
    it(`unpacks ${name} and reports the diff ID`, async () => {
      const t = await target();
      const result = await unpacker.unpack(Readable.from([blob()]), mediaType, t);
      assert.equal(result.diffId, sha(tarBytes));
      assert.equal(result.size, 4);
      assert.equal(await readFile(path.join(t.dir, 'hello'), 'utf8'), 'hi\n');
    });
  }

  it('stops a decompression bomb at the size limit', async () => {
    const zeros = () => Readable.from((function* () { for (let i = 0; i < 64; i++) yield Buffer.alloc(1 << 20); })());
    const layer = new LayerBuilder().raw({ name: 'bomb', type: 'file', mode: 0o644 }, { size: 64 << 20, open: zeros });
    const gz = await bytesOf(Readable.from(tarStream(layer.entries)).pipe(createGzip()));
    assert.ok(gz.length < 1 << 20, 'the blob itself is small');
    const t = await target();
    await assert.rejects(unpacker.unpack(Readable.from([gz]), 'application/vnd.oci.image.layer.v1.tar+gzip', t), (err) => {
      assert.equal(errorKind(err), 'resource_exhausted');
      return true;
    });
  });

  it('fails on a corrupt gzip stream and an unknown media type', async () => {
    const bad = gzipSync(tarBytes);
    bad.fill(0xff, 12, 40); // in the deflate data: the CRC-32 is not checked (the caller checks the diff ID)
    await assert.rejects(unpacker.unpack(Readable.from([bad]), 'application/vnd.oci.image.layer.v1.tar+gzip', await target()));
    await assert.rejects(unpacker.unpack(Readable.from([tarBytes]), 'application/x-foreign', await target()), (err) => errorKind(err) === 'invalid_argument');
    const corruptZstd = Buffer.from(spawnSync('zstd', ['-q', '-c'], { input: tarBytes }).stdout);
    corruptZstd.fill(0x41, 10, 30);
    await assert.rejects(unpacker.unpack(Readable.from([corruptZstd]), 'application/vnd.oci.image.layer.v1.tar+zstd', await target()));
    assert.ok((await readdir(dir.path)).length > 0);
  });
});
