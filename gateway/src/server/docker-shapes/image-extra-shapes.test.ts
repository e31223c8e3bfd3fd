import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { image } from '@berth/proto';
import { dfRows } from '../../cli/commands/system-verbs.js';
import { containerFixture } from '../testing/container-fixture.js';
import { imageHistoryJson, imagePruneJson, systemDfJson } from './image-extra-shapes.js';

const img = (id: string, size: number, containers: number): image.Image => ({
  id, repoTags: [`${id.slice(7, 10)}:latest`], repoDigests: [], created: '2024-01-01T00:00:00Z', size, config: Buffer.from('{}'), diffIds: [], os: 'linux',
  architecture: 'amd64', variant: '', labels: {}, manifestDigest: '', containers, parent: '', lastTagTime: '',
});

describe('image history, prune and system df shapes', () => {
  it('words history as moby does', () => {
    const json = imageHistoryJson({ entries: [{ id: 'sha256:abc', created: 10, createdBy: 'CMD ["sh"]', tags: ['a:1'], size: 0, comment: '', emptyLayer: true }, { id: '<missing>', created: 9, createdBy: 'ADD x /', tags: [], size: 5, comment: 'c', emptyLayer: false }] });
    assert.deepEqual(json, [
      { Id: 'sha256:abc', Created: 10, CreatedBy: 'CMD ["sh"]', Tags: ['a:1'], Size: 0, Comment: '' },
      { Id: '<missing>', Created: 9, CreatedBy: 'ADD x /', Tags: null, Size: 5, Comment: 'c' },
    ]);
  });

  it('lists what a prune removed, untagged first', () => {
    assert.deepEqual(imagePruneJson({ untagged: ['a:1'], deleted: ['sha256:abc'], spaceReclaimed: 42 }), { ImagesDeleted: [{ Untagged: 'a:1' }, { Deleted: 'sha256:abc' }], SpaceReclaimed: 42 });
    assert.deepEqual(imagePruneJson({ untagged: [], deleted: [], spaceReclaimed: 0 }), { ImagesDeleted: null, SpaceReclaimed: 0 });
  });

  it('joins images, container sizes and volumes into /system/df, and the CLI sums it as docker does', () => {
    const a = img(`sha256:${'a'.repeat(64)}`, 1000, 1);
    const b = img(`sha256:${'b'.repeat(64)}`, 600, 0);
    const c = containerFixture({ imageId: a.id });
    const df = systemDfJson(
      { images: [{ image: a, sharedSize: 400, uniqueSize: 600 }, { image: b, sharedSize: 400, uniqueSize: 200 }], layersSize: 1200, contentSize: 900, snapshots: [{ key: c.id, size: 77 }] },
      [c],
      [],
    ) as { LayersSize: number; Images: Array<Record<string, unknown>>; Containers: Array<Record<string, unknown>>; BuildCache: unknown[] };
    assert.equal(df.LayersSize, 1200);
    assert.deepEqual(df.Images.map((i) => [i['SharedSize'], i['Containers']]), [[400, 1], [400, 0]]);
    assert.equal(df.Containers[0]!['SizeRw'], 77);
    assert.equal(df.Containers[0]!['SizeRootFs'], 1077);
    assert.deepEqual(df.BuildCache, []);
    const rows = dfRows({ LayersSize: 1200, Images: df.Images as never, Containers: [{ Id: c.id, Names: ['/web'], Image: 'a', State: 'exited', SizeRw: 77 }], Volumes: [] });
    // In use: a's unique part (1000 − 400); reclaimable: the rest of 1200.
    assert.deepEqual(rows[0], ['Images', '2', '1', '1.2kB', '600B (50%)']);
    assert.deepEqual(rows[1], ['Containers', '1', '0', '77B', '77B (100%)']);
  });
});
