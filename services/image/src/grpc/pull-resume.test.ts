import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxImage, pushImage, randomBytes, type Image } from '@berth/fixtures';
import { isBlobGet, startRegistryShim, type RegistryShim } from '../testing/registry-shim.js';
import { pull, startStack, type Stack } from '../testing/stack.js';

const MiB = 1024 * 1024;

describe('PullImage resumes a transfer cut mid-blob', () => {
  let stack: Stack;
  let shim: RegistryShim;
  let img: Image;

  before(async () => {
    stack = await startStack();
    shim = await startRegistryShim(stack.registry.host);
    img = await busyboxImage({ extraLayers: [(l) => l.randomFile('data', 6 * MiB, 'resume-cut')] });
    await pushImage(stack.registry, 'cut', 'latest', img);
  });
  after(async () => {
    await shim?.close();
    await img?.dispose();
    await stack?.stop();
  });

  it('keeps the partial ingest, fetches only the remainder with Range, and shows what was there', async () => {
    const big = img.layers[1]!;
    const cutAt = 2 * MiB + 12345;
    shim.rule = (req, nth) => (nth === 1 && isBlobGet(req.method!, req.url!, big.digest) ? { cutAfter: cutAt } : undefined);
    const ref = `${shim.host}/cut`;
    await assert.rejects(pull(stack.client, ref), { kind: 'unavailable' });
    const ingest = path.join(stack.root, 'content/ingest', `layer-${big.digest.slice(7)}`);
    const partial = (await stat(ingest)).size;
    assert.equal(partial, cutAt, 'every byte that arrived is kept');
    assert.deepEqual(await readdir(path.join(stack.root, 'snapshots')), ['empty'], 'no snapshot kept');

    shim.rule = () => undefined;
    const progress = await pull(stack.client, ref);
    assert.equal(progress.at(-1)!.image!.id, img.config.digest);
    const downloads = progress.filter((p) => p.id === big.digest.slice(7, 19) && p.status === 'Downloading');
    assert.equal(downloads[0]!.current, partial, 'progress starts at what was already there');
    assert.equal(downloads.at(-1)!.current, big.size);
    const gets = shim.log.filter((r) => isBlobGet(r.method, r.path, big.digest) && r.status !== 0 && r.status < 300);
    assert.equal(gets.length, 2);
    assert.equal(gets[1]!.range, `bytes=${partial}-`);
    assert.equal(gets[1]!.status, 206);
    assert.equal(gets[1]!.bytes, big.size - partial, 'only the remainder is fetched again');
    assert.deepEqual(await readdir(path.join(stack.root, 'content/ingest')), []);
    assert.equal(await fileSha(stack, 'data'), createHash('sha256').update(await randomBytes(6 * MiB, 'resume-cut')).digest('hex'));
  });
});

/** sha256 of a file in whichever committed snapshot has it. */
export async function fileSha(stack: Stack, rel: string): Promise<string | undefined> {
  for (const n of await readdir(path.join(stack.root, 'snapshots'))) {
    const bytes = await readFile(path.join(stack.root, 'snapshots', n, 'fs', rel)).catch(() => undefined);
    if (bytes) return createHash('sha256').update(bytes).digest('hex');
  }
  return undefined;
}
