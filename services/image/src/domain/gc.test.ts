import assert from 'node:assert/strict';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig, RecordingEventPublisher, silentLogger, type BerthConfig } from '@berth/kit';
import { busyboxImage, tempDir, type Image, type TempDir } from '@berth/fixtures';
import { compose, type ComposeOptions } from '../compose.js';
import { fixtureRegistry } from '../testing/fixture-registry.js';

const HOUR = 3_600_000;

describe('automatic garbage collection', () => {
  let dir: TempDir;
  let img: Image;
  let config: BerthConfig;
  const root = () => path.join(config.stateRoot, 'image');
  const open = (options: ComposeOptions) => compose(config, { logger: silentLogger(), events: new RecordingEventPublisher() }, { registry: fixtureRegistry(img), ...options });

  before(async () => {
    dir = tempDir('berth-image-gc-');
    config = loadConfig({ env: {}, file: null, overrides: { stateRoot: path.join(dir.path, 'state'), runRoot: path.join(dir.path, 'run') } });
    img = await busyboxImage({ extraLayers: [(l) => l.file('etc/gc', 'x\n')] });
  });
  after(async () => {
    await img?.dispose();
    await dir?.cleanup();
  });

  it('collects at start what a crash left unreferenced, once past the grace period, and expired ingests', async () => {
    const first = await open({ gc: { intervalMs: HOUR } });
    for await (const p of first.images.pull({ reference: 'fixture.test/image' }, new AbortController().signal)) void p;
    await first.close();
    // A crash between committing the layers and recording the image: layers and blobs without image.
    const db = new Database(path.join(root(), 'image.db'));
    db.exec('DELETE FROM refs; DELETE FROM image_layers; DELETE FROM images;');
    db.close();
    const ingest = path.join(root(), 'content/ingest');
    await mkdir(ingest, { recursive: true });
    await writeFile(path.join(ingest, 'layer-old'), 'partial');
    await utimes(path.join(ingest, 'layer-old'), new Date(Date.now() - 2 * 24 * HOUR), new Date(Date.now() - 2 * 24 * HOUR));
    await writeFile(path.join(ingest, 'layer-fresh'), 'partial');

    // Within the grace period nothing goes: a retried pull may want it.
    const patient = await open({ gc: { intervalMs: HOUR, graceMs: HOUR } });
    await patient.gc.collect();
    assert.equal((await readdir(path.join(root(), 'content/blobs/sha256'))).length, 4, 'config, manifest and two layers stay');
    assert.deepEqual((await readdir(ingest)).sort(), ['layer-fresh'], 'the expired ingest went');
    await patient.close();

    const eager = await open({ gc: { intervalMs: HOUR, graceMs: 0 } });
    await eager.gc.collect(); // the one at start may still be running: this one follows it
    assert.deepEqual(await readdir(path.join(root(), 'content/blobs/sha256')), []);
    assert.deepEqual(await readdir(path.join(root(), 'snapshots')), ['empty']);
    assert.deepEqual(await readdir(ingest), ['layer-fresh'], 'a recent partial ingest is kept for its resume');
    await eager.close();
  });
});
