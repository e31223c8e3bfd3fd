import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, loadConfig, NullEventPublisher, silentLogger, type BerthConfig, type Client } from '@berth/kit';
import { image } from '@berth/proto';
import { start as startRegistryService } from '@berth/registry';
import { busyboxImage, pushImage, randomBytes, startRegistry, tempDir, type Image, type RegistryFixture, type TempDir } from '@berth/fixtures';
import { startImageChild, type ChildService } from '../testing/child-service.js';
import { isBlobGet, startRegistryShim, type RegistryShim } from '../testing/registry-shim.js';

const MiB = 1024 * 1024;

describe('PullImage survives a SIGKILLed image service', () => {
  let dir: TempDir;
  let registry: RegistryFixture;
  let shim: RegistryShim;
  let registryService: { close(): Promise<void> };
  let child: ChildService | undefined;
  let img: Image;
  let env: Record<string, string>;
  let config: BerthConfig;

  before(async () => {
    dir = tempDir('berth-image-kill-');
    env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      BERTH_STATE_ROOT: path.join(dir.path, 'state'),
      BERTH_RUN_ROOT: path.join(dir.path, 'run'),
      BERTH_CONFIG: path.join(dir.path, 'none.toml'),
      BERTH_LOG_LEVEL: 'warn',
    };
    config = loadConfig({ env, file: null });
    registry = await startRegistry();
    shim = await startRegistryShim(registry.host);
    registryService = await startRegistryService(config, { logger: silentLogger(), events: new NullEventPublisher() });
    img = await busyboxImage({ extraLayers: [(l) => l.randomFile('data', 16 * MiB, 'killed')] });
    await pushImage(registry, 'killed', 'latest', img);
  });
  after(async () => {
    await child?.kill('SIGKILL');
    await registryService?.close();
    await shim?.close();
    await registry?.stop();
    await img?.dispose();
    await dir?.cleanup();
  });

  const withClient = async <T>(fn: (c: Client<typeof image.ImagesService>) => Promise<T>): Promise<T> => {
    const client = createClient(image.ImagesService, config.addresses.image);
    try {
      return await fn(client);
    } finally {
      client.close();
    }
  };

  it('restarts clean and the next pull completes with intact content', async () => {
    const big = img.layers[1]!;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    shim.rule = (req, nth) => (nth === 1 && isBlobGet(req.method!, req.url!, big.digest) ? { holdAfter: 4 * MiB, until: held } : undefined);
    const ref = `${shim.host}/killed`;

    child = await startImageChild(env, config.addresses.image);
    await withClient(async (client) => {
      const pulling = (async () => {
        for await (const p of client.pullImage({ reference: ref })) {
          if (p.id === big.digest.slice(7, 19) && p.status === 'Downloading' && p.current >= 2 * MiB) await child!.kill('SIGKILL');
        }
      })();
      await assert.rejects(pulling, { kind: 'unavailable' });
    });
    release();

    child = await startImageChild(env, config.addresses.image);
    const root = path.join(config.stateRoot, 'image');
    assert.deepEqual(await readdir(path.join(root, 'snapshots')), ['empty'], 'the unfinished layers were thrown away at start');
    const last = await withClient(async (client) => {
      let final: image.PullProgress | undefined;
      for await (const p of client.pullImage({ reference: ref })) final = p;
      return final!;
    });
    assert.equal(last.image!.id, img.config.digest);
    assert.deepEqual(await readdir(path.join(root, 'content/ingest')), []);
    const data = await findFile(root, 'data');
    assert.equal(createHash('sha256').update(data!).digest('hex'), createHash('sha256').update(await randomBytes(16 * MiB, 'killed')).digest('hex'));
    const list = await withClient((client) => client.listImages({ all: true, filters: [] }));
    assert.deepEqual(list.images.map((i) => i.id), [img.config.digest]);
  });
});

async function findFile(root: string, rel: string): Promise<Buffer | undefined> {
  for (const n of await readdir(path.join(root, 'snapshots'))) {
    const bytes = await readFile(path.join(root, 'snapshots', n, 'fs', rel)).catch(() => undefined);
    if (bytes) return bytes;
  }
  return undefined;
}
