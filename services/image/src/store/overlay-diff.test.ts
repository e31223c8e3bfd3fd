import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { tempDir, type TempDir } from '@berth/fixtures';
import { applyLayerTar } from './layer-applier.js';
import { CommandNodeTools } from './node-tools.js';
import { packEntries, upperDirEntries } from './overlay-diff.js';
import { applyLayer, getXattr, listTree, mountOverlay } from '../testing/layers.js';

const run = promisify(execFile);

/**
 * A real overlay: changes made through the mount land in the upper dir as the kernel writes them
 * (whiteouts, opaque dirs, copy-ups); the diff of that upper dir, applied as a layer on the same
 * lower, must show exactly the changed tree.
 */
describe('upperDirEntries (overlay whiteouts → tar)', () => {
  let dir: TempDir;
  let lower: string;
  let upper: string;

  before(async () => {
    dir = tempDir('berth-overlay-diff-');
    lower = path.join(dir.path, 'lower');
    upper = path.join(dir.path, 'upper');
    const work = path.join(dir.path, 'work');
    const merged = path.join(dir.path, 'merged');
    for (const d of [lower, upper, work, merged]) await mkdir(d);
    await applyLayer(lower, (l) =>
      l
        .dir('etc')
        .file('etc/config', 'old\n')
        .file('etc/gone', 'x')
        .dir('data')
        .file('data/a', 'a')
        .file('data/b', 'b')
        .dir('cache')
        .file('cache/old', 'o')
        .dir('untouched')
        .file('untouched/f', 'f'),
    );
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]);
    try {
      const m = (p: string) => path.join(merged, p);
      await appendFile(m('etc/config'), 'new\n');
      await rm(m('etc/gone'));
      await rm(m('data'), { recursive: true });
      await rm(m('cache'), { recursive: true });
      await mkdir(m('cache'));
      await writeFile(m('cache/fresh'), 'fresh');
      await writeFile(m('new'), 'new file');
      await link(m('new'), m('new-link'));
      await writeFile(m('etc/hosts'), ''); // what a runtime's bind-mount target looks like
    } finally {
      await run('umount', [merged]);
    }
  });
  after(() => dir?.cleanup());

  it('turns whiteouts into .wh. entries and opaque dirs into .wh..wh..opq, leaves mount stubs out', async () => {
    const entries = await upperDirEntries({ upper, lowers: [lower] });
    const names = entries.map((e) => `${e.header.type}:${e.header.name}`);
    assert.deepEqual(names, [
      'directory:cache/',
      'file:cache/.wh..wh..opq',
      'file:cache/fresh',
      'file:.wh.data',
      'directory:etc/',
      'file:etc/config',
      'file:etc/.wh.gone',
      'file:new',
      'link:new-link',
    ]);
    assert.equal(entries.find((e) => e.header.name === 'new-link')!.header.linkname, 'new');
  });

  it('applied on the same lower, gives exactly the changed tree', async () => {
    const layer = path.join(dir.path, 'layer');
    await mkdir(layer);
    const entries = await upperDirEntries({ upper, lowers: [lower] });
    await applyLayerTar(packEntries(entries), { root: layer, lowers: async () => [lower], tools: new CommandNodeTools() });
    assert.equal(await getXattr(path.join(layer, 'cache'), 'trusted.overlay.opaque'), 'y');
    const view = path.join(dir.path, 'view');
    await mkdir(view);
    const unmount = await mountOverlay([layer, lower], view);
    try {
      assert.deepEqual(await listTree(view), ['cache', 'cache/fresh', 'etc', 'etc/config', 'new', 'new-link', 'untouched', 'untouched/f']);
      assert.equal(await readFile(path.join(view, 'etc/config'), 'utf8'), 'old\nnew\n');
      assert.equal(await readFile(path.join(view, 'new-link'), 'utf8'), 'new file');
    } finally {
      await unmount();
    }
  });

  it('an upper dir with only copy-up parents and mount stubs is an empty diff', async () => {
    const u = path.join(dir.path, 'upper-stub');
    await mkdir(path.join(u, 'etc'), { recursive: true });
    await writeFile(path.join(u, 'etc/resolv.conf'), '');
    await writeFile(path.join(u, 'etc/hostname'), '');
    assert.deepEqual(await upperDirEntries({ upper: u, lowers: [lower] }), []);
  });
});
