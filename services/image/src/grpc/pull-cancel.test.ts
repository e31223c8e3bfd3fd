import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxImage, pushImage, waitUntil, type Image } from '@berth/fixtures';
import type { BlobChunk, RegistryClient } from '../domain/registry.js';
import { pull, startStack, type Stack } from '../testing/stack.js';

/** Holds a large blob's transfer after its first MiB until `release()`; a cancel ends the hold. */
function pausingRegistry(inner: RegistryClient) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const client: RegistryClient = {
    resolve: (...args) => inner.resolve(...args),
    getManifest: (...args) => inner.getManifest(...args),
    async *fetchBlob(repository, digest, offset, auth, signal): AsyncIterable<BlobChunk> {
      let sent = 0;
      let held = false;
      for await (const chunk of inner.fetchBlob(repository, digest, offset, auth, signal)) {
        yield chunk;
        sent += chunk.data.length;
        if (!held && sent >= 1 << 20 && offset === 0) {
          held = true;
          // The cancel may come before the hold (the first MiB can arrive in one piece).
          await Promise.race([gate, new Promise((_, reject) => (signal?.aborted ? reject(signal.reason) : signal?.addEventListener('abort', () => reject(signal.reason), { once: true })))]);
        }
      }
    },
  };
  return { client, release: () => release() };
}

describe('PullImage cancelled by the client', () => {
  let stack: Stack;
  let img: Image;
  let gate: ReturnType<typeof pausingRegistry>;

  before(async () => {
    stack = await startStack({ wrapRegistry: (inner) => (gate = pausingRegistry(inner)).client });
    img = await busyboxImage({ extraLayers: [(l) => l.randomFile('big', 8 << 20, 'cancel')] });
    await pushImage(stack.registry, 'big', 'latest', img);
  });
  after(async () => {
    await img?.dispose();
    await stack?.stop();
  });

  it('throws the snapshots away, keeps the partial ingest, and the next pull resumes it', async () => {
    const big = img.layers[1]!;
    const ingest = path.join(stack.root, 'content/ingest', `layer-${big.digest.slice(7)}`);
    const abort = new AbortController();
    await assert.rejects(async () => {
      for await (const p of stack.client.pullImage({ reference: `${stack.registry.host}/big` }, { signal: abort.signal })) {
        if (p.id === big.digest.slice(7, 19) && p.status === 'Downloading' && p.current > 0) abort.abort();
      }
    }, { kind: 'cancelled' });
    await waitUntil(async () => (await readdir(path.join(stack.root, 'snapshots'))).join() === 'empty', { what: 'snapshots thrown away' });
    const partial = (await stat(ingest)).size;
    assert.ok(partial > 0 && partial < big.size, `partial ingest of ${partial} bytes`);
    assert.deepEqual((await stack.client.listImages({ all: true, filters: [] })).images, []);

    gate.release();
    const progress = await pull(stack.client, `${stack.registry.host}/big`);
    const downloads = progress.filter((p) => p.id === big.digest.slice(7, 19) && p.status === 'Downloading');
    assert.equal(downloads[0]!.current, partial, 'resumed from the partial ingest');
    assert.equal(progress.at(-1)!.image!.id, img.config.digest);
    assert.deepEqual(await readdir(path.join(stack.root, 'content/ingest')), []);
  });
});
