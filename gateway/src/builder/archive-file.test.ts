import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { runCommand } from '@berth/kit';
import { tarOfFiles } from '@berth/fixtures';
import { archiveCompression, decompressed, isTarHeader } from './archive-file.js';

/** `file` compressed by the host's tool, next to it (`-k` keeps the input). */
async function compress(file: string, tool: 'bzip2' | 'xz' | 'zstd'): Promise<string> {
  await runCommand(tool, tool === 'zstd' ? ['-q', '-k', file] : ['-k', file]);
  return `${file}.${{ bzip2: 'bz2', xz: 'xz', zstd: 'zst' }[tool]}`;
}

async function names(source: AsyncIterable<Buffer>): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of source) chunks.push(c);
  const extract = tar.extract();
  extract.end(Buffer.concat(chunks));
  const out: string[] = [];
  for await (const e of extract) {
    out.push(e.header.name);
    e.resume();
  }
  return out;
}

test('ADD archives: plain, gzip, bzip2, xz and zstd tars are recognised and read back; other files are not archives', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-archive-file-'));
  try {
    const plain = path.join(dir, 'a.tar');
    writeFileSync(plain, await tarOfFiles({ 'inner/f.txt': 'hello\n', 'g.txt': 'x'.repeat(5000) }));
    const gz = path.join(dir, 'a.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    const files = { none: plain, gzip: gz, bzip2: await compress(plain, 'bzip2'), xz: await compress(plain, 'xz'), zstd: await compress(plain, 'zstd') };
    for (const [kind, file] of Object.entries(files)) {
      assert.equal(await archiveCompression(file), kind, file);
      assert.deepEqual(await names(decompressed(file, kind as keyof typeof files)), ['inner/f.txt', 'g.txt'], kind);
    }

    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'just text, '.repeat(100));
    const notTar = { text, bz2Text: await compress(text, 'bzip2'), xzText: await compress(text, 'xz') };
    const gzText = path.join(dir, 'notes.gz');
    writeFileSync(gzText, gzipSync(readFileSync(text)));
    const fakeMagic = path.join(dir, 'fake.tar.bz2');
    writeFileSync(fakeMagic, `BZh9${'not really bzip2 '.repeat(50)}`);
    const empty = path.join(dir, 'empty.tar');
    writeFileSync(empty, Buffer.alloc(1024)); // an archive with no entries: Docker copies it as a file
    const short = path.join(dir, 'short');
    writeFileSync(short, 'x');
    for (const file of [...Object.values(notTar), gzText, fakeMagic, empty, short]) assert.equal(await archiveCompression(file), undefined, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tar header is told by its checksum (v7 headers have no ustar magic); a corrupt stream fails naming its decompressor', async () => {
  const block = (await tarOfFiles({ 'a.txt': 'a' })).subarray(0, 512);
  assert.equal(isTarHeader(block), true);
  const v7 = Buffer.from(block);
  v7.fill(0, 257, 265); // no magic, no version: the checksum no longer matches …
  const sum = [...v7].reduce((n, b, i) => n + (i >= 148 && i < 156 ? 0x20 : b), 0);
  v7.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1'); // … until it is written again
  assert.equal(isTarHeader(v7), true);
  const broken = Buffer.from(block);
  broken[0] = broken[0]! ^ 1;
  assert.equal(isTarHeader(broken), false);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-archive-file-'));
  try {
    const big = path.join(dir, 'big.tar');
    writeFileSync(big, await tarOfFiles({ 'f.bin': Buffer.alloc(1 << 20, 7).toString('latin1') }));
    const xz = await compress(big, 'xz');
    const bytes = readFileSync(xz);
    writeFileSync(xz, bytes.subarray(0, bytes.length - 64)); // truncated: the start reads, the end does not
    assert.equal(await archiveCompression(xz), 'xz');
    await assert.rejects(names(decompressed(xz, 'xz')), /xz -d: .+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
