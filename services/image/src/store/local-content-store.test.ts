import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errorKind } from '@berth/kit';
import { tempDir, type TempDir } from '@berth/fixtures';
import { LocalContentStore } from './local-content-store.js';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('LocalContentStore', () => {
  let dir: TempDir;
  let store: LocalContentStore;

  before(async () => {
    dir = tempDir('berth-content-');
    store = new LocalContentStore(path.join(dir.path, 'content'));
    await store.init();
  });
  after(() => dir.cleanup());

  it('writes to ingest/, verifies, then renames into blobs/sha256', async () => {
    const data = randomBytes(100_000);
    const digest = digestOf(data);
    const w = await store.writer('one', { digest, size: data.length });
    assert.equal(w.offset, 0);
    await w.write(data.subarray(0, 40_000));
    assert.deepEqual(await readdir(path.join(dir.path, 'content/ingest')), ['one']);
    assert.equal(await store.info(digest), undefined, 'not visible before commit');
    await w.write(data.subarray(40_000));
    await w.commit();
    assert.deepEqual(await readdir(path.join(dir.path, 'content/ingest')), []);
    assert.equal((await store.info(digest))?.size, data.length);
    assert.deepEqual(await readFile(path.join(dir.path, 'content/blobs/sha256', digest.slice(7))), data);
    assert.deepEqual(await store.read(digest, 1 << 20), data);
    assert.deepEqual(await collect(await store.reader(digest)), data);
    assert.ok((await store.list()).includes(digest));
  });

  it('stores nothing when the digest does not match', async () => {
    const data = randomBytes(5000);
    const claimed = digestOf(Buffer.from('something else'));
    const w = await store.writer('bad', { digest: claimed, size: data.length });
    await w.write(data);
    await assert.rejects(w.commit(), (err) => errorKind(err) === 'data_loss' && /digest mismatch/.test((err as Error).message));
    assert.equal(await store.info(claimed), undefined);
    assert.equal(await store.info(digestOf(data)), undefined);
    assert.deepEqual(await readdir(path.join(dir.path, 'content/ingest')), []);
  });

  it('refuses more bytes than expected and a short blob', async () => {
    const data = randomBytes(100);
    const w = await store.writer('long', { digest: digestOf(data), size: 50 });
    await assert.rejects(w.write(data), (err) => errorKind(err) === 'data_loss');
    await w.discard();
    const short = await store.writer('short', { digest: digestOf(data), size: 100 });
    await short.write(data.subarray(0, 60));
    await assert.rejects(short.commit(), (err) => errorKind(err) === 'data_loss');
    assert.equal(await store.info(digestOf(data)), undefined);
  });

  it('resumes a partial ingest where it stopped', async () => {
    const data = randomBytes(64_000);
    const digest = digestOf(data);
    const first = await store.writer('resume', { digest, size: data.length });
    await first.write(data.subarray(0, 30_000));
    await first.close();
    assert.equal((await stat(path.join(dir.path, 'content/ingest/resume'))).size, 30_000);

    const second = await store.writer('resume', { digest, size: data.length });
    assert.equal(second.offset, 30_000);
    assert.deepEqual(await collect(second.readExisting()), data.subarray(0, 30_000));
    await second.write(data.subarray(30_000));
    await second.commit();
    assert.deepEqual(await store.read(digest, 1 << 20), data);
  });

  it('lets one writer at a time hold a ref', async () => {
    const data = randomBytes(10);
    const digest = digestOf(data);
    const a = await store.writer('busy', { digest, size: 10 });
    let secondOpened = false;
    const b = store.writer('busy', { digest, size: 10 }).then((w) => ((secondOpened = true), w));
    await a.write(data.subarray(0, 4));
    assert.equal(secondOpened, false);
    await a.close();
    const w = await b;
    assert.equal(w.offset, 4);
    await w.write(data.subarray(4));
    await w.commit();
  });

  it('puts small blobs and deletes them', async () => {
    const data = Buffer.from('{"hello":"world"}');
    const digest = digestOf(data);
    await store.put(data, { digest, size: data.length });
    await store.put(data, { digest, size: data.length });
    assert.deepEqual(await store.read(digest, 100), data);
    await assert.rejects(store.read(digest, 5), (err) => errorKind(err) === 'invalid_argument');
    await store.delete(digest);
    assert.equal(await store.info(digest), undefined);
    await assert.rejects(store.read(digest, 100), (err) => errorKind(err) === 'not_found');
  });
});
