import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageDeleteResponse, imageInspect, imageSummary } from './image-shapes.js';
import { imageFixture } from '../testing/image-fixture.js';
import { pullError, pullProgress } from './pull-messages.js';


test('imageSummary is Docker\'s ImageSummary', () => {
  assert.deepEqual(imageSummary(imageFixture()), {
    Id: 'sha256:' + 'a'.repeat(64),
    ParentId: '',
    RepoTags: ['busybox:latest'],
    RepoDigests: ['busybox@sha256:' + 'd'.repeat(64)],
    Created: 1704067200,
    Size: 4_257_000,
    SharedSize: -1,
    VirtualSize: 4_257_000,
    Labels: { a: 'b' },
    Containers: 2,
  });
});

test('imageInspect comes from the image config', () => {
  const i = imageInspect(imageFixture()) as Record<string, any>;
  assert.equal(i['Created'], '2024-01-01T00:00:00Z');
  assert.equal(i['Comment'], 'built in code');
  assert.deepEqual(i['Config'].Cmd, ['sh']);
  assert.deepEqual(i['Config'].Env, ['PATH=/bin']);
  assert.equal(i['Config'].Entrypoint, null);
  assert.equal(i['Architecture'], 'amd64');
  assert.equal(i['Os'], 'linux');
  assert.equal(i['Size'], 4_257_000);
  assert.deepEqual(i['GraphDriver'], { Name: 'overlay2', Data: null });
  assert.deepEqual(i['RootFS'], { Type: 'layers', Layers: ['sha256:' + 'b'.repeat(64)] });
  assert.ok('Metadata' in i);
  assert.ok(!('Variant' in i));
});

test('an unparsable config shows as an image without config, not an error', () => {
  const i = imageInspect(imageFixture({ config: Buffer.from('{nope') })) as Record<string, any>;
  assert.equal(i['Config'].Cmd, null);
});

test('imageDeleteResponse lists untagged then deleted', () => {
  assert.deepEqual(imageDeleteResponse({ untagged: ['busybox:latest'], deleted: ['sha256:x', 'sha256:y'] }), [
    { Untagged: 'busybox:latest' },
    { Deleted: 'sha256:x' },
    { Deleted: 'sha256:y' },
  ]);
});

test('pull messages are Docker\'s', () => {
  assert.deepEqual(pullProgress({ id: 'latest', status: 'Pulling from library/busybox', current: 0, total: 0 }), {
    status: 'Pulling from library/busybox',
    id: 'latest',
  });
  assert.deepEqual(pullProgress({ id: 'abc123def456', status: 'Pulling fs layer', current: 0, total: 0 }), {
    status: 'Pulling fs layer',
    progressDetail: {},
    id: 'abc123def456',
  });
  const downloading = pullProgress({ id: 'abc123def456', status: 'Downloading', current: 1_000_000, total: 2_000_000 });
  assert.deepEqual(downloading.progressDetail, { current: 1_000_000, total: 2_000_000 });
  assert.match(downloading.progress!, /^\[=+>\s+\]\s+1MB\/2MB$/);
  assert.deepEqual(pullProgress({ id: '', status: 'Resolving', current: 0, total: 0 }), { status: 'Resolving' });
  const last = pullProgress({ id: '', status: 'Status: Downloaded newer image for busybox:latest', current: 0, total: 0, image: imageFixture() });
  assert.deepEqual(last, { status: 'Status: Downloaded newer image for busybox:latest' });
  assert.deepEqual(pullError('boom'), { errorDetail: { message: 'boom' }, error: 'boom' });
});
