import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { GunzipRaw } from './gunzip-raw.js';

/** Runs `input` through GunzipRaw in pieces of `piece` bytes. */
async function gunzip(input: Buffer, piece = input.length || 1): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += piece) chunks.push(input.subarray(i, i + piece));
  const out: Buffer[] = [];
  for await (const c of Readable.from(chunks).pipe(new GunzipRaw({ chunkSize: 64 * 1024 }))) out.push(c as Buffer);
  return Buffer.concat(out);
}

const PIECES = [1, 3, 10, 11, 4096, Infinity];

async function rejectsEverywhere(input: Buffer, code: string, message: RegExp): Promise<void> {
  for (const piece of PIECES) {
    await assert.rejects(gunzip(input, piece), (err: Error & { code?: string }) => {
      assert.equal(err.code, code, `in pieces of ${piece}: ${err.message}`);
      assert.match(err.message, message);
      return true;
    });
  }
}

/** A member with every optional header field (RFC 1952 2.3), around `plain`'s deflate data. */
function fancyMember(plain: Buffer): Buffer {
  const plainGzip = gzipSync(plain);
  const FTEXT = 1, FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;
  const header = Buffer.from([0x1f, 0x8b, 8, FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT, 1, 2, 3, 4, 0, 3]);
  const extra = Buffer.concat([Buffer.from([6, 0]), Buffer.from('AB\x02\x00\x00\x01')]);
  // The header CRC is not checked (nor is the body's): any two bytes do.
  return Buffer.concat([header, extra, Buffer.from('layer.tar\0'), Buffer.from('a comment\0'), Buffer.from([0xab, 0xcd]), plainGzip.subarray(10)]);
}

describe('GunzipRaw', () => {
  // Incompressible and compressible parts (stored and Huffman-coded deflate blocks), small enough
  // to feed a byte at a time.
  const plain = Buffer.concat([randomBytes(3000), Buffer.alloc(6000, 'tar '), randomBytes(100)]);

  it('inflates a gzip stream however it is split', async () => {
    for (const piece of PIECES) assert.ok((await gunzip(gzipSync(plain), piece)).equals(plain), `in pieces of ${piece}`);
    assert.equal((await gunzip(gzipSync(Buffer.alloc(0)))).length, 0);
    const layer = Buffer.concat([randomBytes(3 << 20), Buffer.alloc(5 << 20)]);
    for (const piece of [65536, 1 << 20, Infinity]) assert.ok((await gunzip(gzipSync(layer), piece)).equals(layer), `in pieces of ${piece}`);
  });

  it('reads every optional header field', async () => {
    for (const piece of PIECES) assert.ok((await gunzip(fancyMember(plain), piece)).equals(plain), `in pieces of ${piece}`);
  });

  it('joins the members of a multi-member stream, as gunzip does', async () => {
    const members = Buffer.concat([gzipSync(plain), gzipSync(Buffer.alloc(0)), fancyMember(Buffer.from('two')), gzipSync('three')]);
    const want = Buffer.concat([plain, Buffer.from('twothree')]);
    for (const piece of PIECES) assert.ok((await gunzip(members, piece)).equals(want), `in pieces of ${piece}`);
  });

  it('ignores zero padding after a member and all that follows it, as gunzip does', async () => {
    const padded = Buffer.concat([gzipSync('one'), Buffer.alloc(512), Buffer.from('anything'), gzipSync('two')]);
    for (const piece of PIECES) assert.equal((await gunzip(padded, piece)).toString(), 'one');
  });

  it('does not check the CRC-32 (the digests cover it)', async () => {
    const gz = gzipSync(plain);
    gz[gz.length - 6]! ^= 0xff;
    assert.ok((await gunzip(gz)).equals(plain));
  });

  it('fails on a truncated stream', async () => {
    const gz = gzipSync(plain);
    for (const end of [0, 1, 5, 10, 1000, gz.length - 8, gz.length - 3]) {
      await rejectsEverywhere(gz.subarray(0, end), 'Z_BUF_ERROR', /^gzip: unexpected end of file/);
    }
    const fancy = fancyMember(plain);
    await rejectsEverywhere(fancy.subarray(0, 18), 'Z_BUF_ERROR', /unexpected end of file/);
    await rejectsEverywhere(Buffer.concat([gz, Buffer.from([0x1f])]), 'Z_BUF_ERROR', /unexpected end of file/);
    await rejectsEverywhere(Buffer.concat([gz, gzipSync('next').subarray(0, 14)]), 'Z_BUF_ERROR', /unexpected end of file/);
  });

  it('fails on a wrong length in the trailer', async () => {
    const gz = gzipSync(plain);
    gz[gz.length - 1]! ^= 0x01;
    await rejectsEverywhere(gz, 'Z_DATA_ERROR', /incorrect length check/);
  });

  it('fails on bytes that are not gzip', async () => {
    await rejectsEverywhere(plain, 'Z_DATA_ERROR', /not gzip/);
    await rejectsEverywhere(Buffer.concat([gzipSync('one'), Buffer.from('trailing garbage')]), 'Z_DATA_ERROR', /not gzip/);
    const method = gzipSync(plain);
    method[2] = 7;
    await rejectsEverywhere(method, 'Z_DATA_ERROR', /unknown compression method/);
    const flags = gzipSync(plain);
    flags[3] = 0x20;
    await rejectsEverywhere(flags, 'Z_DATA_ERROR', /unknown header flags/);
  });

  it('fails on a corrupt deflate body', async () => {
    const gz = gzipSync(Buffer.alloc(100_000, 'tar '));
    gz.fill(0xff, 12, 40);
    await rejectsEverywhere(gz, 'Z_DATA_ERROR', /^gzip: /);
  });

  it('fails on a header too long to hold rather than holding it', async () => {
    const endless = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3]), Buffer.alloc(2 << 20, 'n')]);
    await assert.rejects(gunzip(endless, 64 * 1024), /header longer than/);
  });
});
