import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { errorKind } from '@berth/kit';
import { LayerBuilder, tarStream, tempDir, type TempDir } from '@berth/fixtures';
import type { LayerUnpacker } from '../domain/snapshotter.js';
import { CommandNodeTools } from './node-tools.js';
import { InThreadLayerUnpacker } from './tail-unpack.js';
import { WorkerLayerUnpacker } from './worker-unpacker.js';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const LIMIT = 4 << 20;

async function tarOf(layer: LayerBuilder): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of tarStream(layer.entries)) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

/** What every LayerUnpacker must do: follow a growing file, report the diff ID, fail as it should. */
function describeUnpacker(name: string, make: () => LayerUnpacker & { close?(): Promise<void> }) {
  describe(`LayerUnpacker contract: ${name}`, () => {
    let dir: TempDir;
    let unpacker: LayerUnpacker & { close?(): Promise<void> };
    let n = 0;
    const target = async () => {
      const d = path.join(dir.path, `t${++n}`);
      await mkdir(d);
      return { dir: d, lowers: async () => [] as string[] };
    };

    before(() => {
      dir = tempDir('berth-unpacker-contract-');
      unpacker = make();
    });
    after(async () => {
      await unpacker.close?.();
      await dir.cleanup();
    });

    it('follows a file written in pieces and reports the diff ID and sizes', async () => {
      const tar = await tarOf(new LayerBuilder().file('a', 'alpha\n').randomFile('big', 3 << 20, 'contract'));
      const blob = gzipSync(tar);
      const file = path.join(dir.path, `blob-${n}`);
      await writeFile(file, blob.subarray(0, 1000));
      const t = await target();
      const job = unpacker.start(file, GZIP, t);
      job.grow(1000);
      for (let at = 1000; at < blob.length; at += 300_000) {
        await appendFile(file, blob.subarray(at, at + 300_000));
        job.grow(Math.min(blob.length, at + 300_000));
      }
      job.end(blob.length);
      const result = await job.done;
      assert.equal(result.diffId, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
      assert.equal(result.tarSize, tar.length);
      assert.equal(result.size, 6 + (3 << 20));
      assert.equal(job.consumed, blob.length);
      assert.equal(await readFile(path.join(t.dir, 'a'), 'utf8'), 'alpha\n');
    });

    it('keeps a refusal a BerthError of its kind, and stops a bomb at the limit', async () => {
      const evil = path.join(dir.path, 'evil');
      await writeFile(evil, gzipSync(await tarOf(new LayerBuilder().raw({ name: '../escape', type: 'file' }, 'x'))));
      const refused = unpacker.start(evil, GZIP, await target());
      refused.end((await readFile(evil)).length);
      await assert.rejects(refused.done, (err) => errorKind(err) === 'invalid_argument' && /escapes the layer root/.test((err as Error).message));

      const bomb = path.join(dir.path, 'bomb');
      await writeFile(bomb, gzipSync(await tarOf(new LayerBuilder().file('zeros', Buffer.alloc(LIMIT + 1)))));
      const job = unpacker.start(bomb, GZIP, await target());
      job.end((await readFile(bomb)).length);
      await assert.rejects(job.done, (err) => errorKind(err) === 'resource_exhausted');
    });

    it('stops waiting for bytes when aborted', async () => {
      const file = path.join(dir.path, 'never');
      await writeFile(file, '');
      const job = unpacker.start(file, GZIP, await target());
      job.abort(new Error('download failed'));
      await assert.rejects(job.done, (err) => errorKind(err) === 'cancelled');
    });
  });
}

describeUnpacker('worker threads', () => new WorkerLayerUnpacker(LIMIT, 2));
describeUnpacker('in thread', () => new InThreadLayerUnpacker({ tools: new CommandNodeTools(), maxLayerBytes: LIMIT }));
