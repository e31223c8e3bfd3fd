import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { syncDir, WRITE_BATCH, writeFully } from './write-fully.js';

/**
 * Writes a stream of unknown digest to `<ingestDir>/put-<random>`, hashing it, then renames it to
 * `<blobDir>/<hex>` (or drops it when that blob is already there). fsynced before the rename, as
 * every blob is.
 */
export async function putStream(ingestDir: string, blobDir: string, source: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
  const tmp = path.join(ingestDir, `put-${randomBytes(16).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o644);
  const hash = createHash('sha256');
  let size = 0;
  try {
    let batch: Uint8Array[] = [];
    let pending = 0;
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
      batch.push(Buffer.from(chunk)); // the source may reuse its buffer
      pending += chunk.length;
      if (pending >= WRITE_BATCH) {
        await writeFully(fh, batch);
        batch = [];
        pending = 0;
      }
    }
    await writeFully(fh, batch);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  const hex = hash.digest('hex');
  const target = path.join(blobDir, hex);
  if (await stat(target).then(() => true, () => false)) {
    await rm(tmp, { force: true });
  } else {
    await rename(tmp, target);
    await syncDir(blobDir);
  }
  return { digest: `sha256:${hex}`, size };
}
