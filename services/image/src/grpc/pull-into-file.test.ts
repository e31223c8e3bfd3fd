import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxImage, pushImage, randomBytes, waitUntil, type Image } from '@berth/fixtures';
import { IntoFileUnavailable, type RegistryClient } from '../domain/registry.js';
import { pull, startStack, type Stack } from '../testing/stack.js';

const MiB = 1024 * 1024;

/**
 * The real registry client, recording which way each blob came: through this service
 * (fetchBlob) or written into its ingest file by the registry service (fetchBlobInto). `refuse`
 * makes fetchBlobInto answer as a registry service that may not write there; `hold` stops
 * following a file after its first MiB until the pull is cancelled.
 */
function recordingRegistry(inner: RegistryClient) {
  const seen = { fetchBlob: [] as string[], fetchBlobInto: [] as string[] };
  const options = { refuse: false, hold: false };
  const client: RegistryClient = {
    resolve: (...args) => inner.resolve(...args),
    getManifest: (...args) => inner.getManifest(...args),
    fetchBlob(repository, digest, offset, auth, signal) {
      seen.fetchBlob.push(digest);
      return inner.fetchBlob(repository, digest, offset, auth, signal);
    },
    async *fetchBlobInto(repository, digest, file, auth, signal) {
      if (options.refuse) throw new IntoFileUnavailable('refused by the test');
      seen.fetchBlobInto.push(digest);
      for await (const count of inner.fetchBlobInto!(repository, digest, file, auth, signal)) {
        yield count;
        if (options.hold && count >= MiB) {
          await new Promise((_, reject) => (signal?.aborted ? reject(signal.reason) : signal?.addEventListener('abort', () => reject(signal.reason), { once: true })));
        }
      }
    },
  };
  return { client, seen, options };
}

/** sha256 of a file in whichever committed snapshot has it. */
async function fileSha(stack: Stack, rel: string): Promise<string | undefined> {
  for (const n of await readdir(path.join(stack.root, 'snapshots'))) {
    const bytes = await readFile(path.join(stack.root, 'snapshots', n, 'fs', rel)).catch(() => undefined);
    if (bytes) return createHash('sha256').update(bytes).digest('hex');
  }
  return undefined;
}

describe('PullImage: the registry service writes layers into their ingest files', () => {
  let stack: Stack;
  let rec: ReturnType<typeof recordingRegistry>;
  const images: Image[] = [];

  before(async () => {
    stack = await startStack({ wrapRegistry: (inner) => (rec = recordingRegistry(inner)).client });
  });
  after(async () => {
    for (const img of images) await img.dispose();
    await stack?.stop();
  });

  /** A fresh image (its own 6 MiB layer, so nothing of it is in the store yet) and its reference. */
  const fresh = async (name: string) => {
    const img = await busyboxImage({ extraLayers: [(l) => l.randomFile('data', 6 * MiB, name)] });
    images.push(img);
    await pushImage(stack.registry, name, 'latest', img);
    const sha = createHash('sha256').update(await randomBytes(6 * MiB, name)).digest('hex');
    rec.seen.fetchBlob.length = rec.seen.fetchBlobInto.length = 0;
    return { img, ref: `${stack.registry.host}/${name}:latest`, sha, big: img.layers[1]! };
  };

  it('takes every layer that way, and the image is whole', async () => {
    const { img, ref, sha, big } = await fresh('into');
    const progress = await pull(stack.client, ref);
    assert.equal(progress.at(-1)!.image!.id, img.config.digest);
    assert.deepEqual([...rec.seen.fetchBlobInto].sort(), img.layers.map((l) => l.digest).sort(), 'each layer written by the registry service');
    assert.deepEqual(rec.seen.fetchBlob, [img.config.digest], 'only the config comes through this service');
    const downloads = progress.filter((p) => p.id === big.digest.slice(7, 19) && p.status === 'Downloading');
    assert.equal(downloads.at(-1)!.current, big.size, 'progress counts the bytes in the file');
    assert.ok(downloads.every((d, i) => i === 0 || d.current >= downloads[i - 1]!.current));
    assert.equal(await fileSha(stack, 'data'), sha);
    assert.deepEqual(await readdir(path.join(stack.root, 'content/ingest')), []);
  });

  it('streams through this service when the registry service may not write the file', async () => {
    const { img, ref, big } = await fresh('into-refused');
    rec.options.refuse = true;
    try {
      const progress = await pull(stack.client, ref);
      assert.equal(progress.at(-1)!.image!.id, img.config.digest);
      assert.deepEqual(rec.seen.fetchBlobInto, []);
      assert.ok(rec.seen.fetchBlob.includes(big.digest), 'the layer came through this service');
    } finally {
      rec.options.refuse = false;
    }
  });

  it('a cancelled pull keeps what the registry service wrote; the next pull completes it', async () => {
    const { img, ref, big } = await fresh('into-cancel');
    const id = big.digest.slice(7, 19);
    const snapshots = (await readdir(path.join(stack.root, 'snapshots'))).length;
    rec.options.hold = true;
    const abort = new AbortController();
    try {
      await assert.rejects(async () => {
        for await (const p of stack.client.pullImage({ reference: ref }, { signal: abort.signal })) {
          if (p.id === id && p.status === 'Downloading' && p.current >= MiB) abort.abort();
        }
      }, { kind: 'cancelled' });
    } finally {
      rec.options.hold = false;
    }
    await waitUntil(async () => (await readdir(path.join(stack.root, 'snapshots'))).length === snapshots, { what: 'the cancelled pull\'s snapshots thrown away' });
    const ingest = await readdir(path.join(stack.root, 'content/ingest'));
    assert.ok(ingest.includes(`layer-${big.digest.slice(7)}`), `partial ingest kept: ${ingest.join(' ')}`);
    const progress = await pull(stack.client, ref);
    assert.equal(progress.at(-1)!.image!.id, img.config.digest);
    const downloads = progress.filter((p) => p.id === id && p.status === 'Downloading');
    assert.ok(downloads[0]!.current >= MiB, `the second pull starts from what was in the file (${downloads[0]!.current})`);
    assert.deepEqual(await readdir(path.join(stack.root, 'content/ingest')), []);
  });
});
