import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { errorKind } from '@berth/kit';
import { LayerBuilder, tempDir, type TempDir } from '@berth/fixtures';
import { applyLayer, listTree } from '../testing/layers.js';

/**
 * A sandbox holds the snapshot root, an "outside" directory with a secret, and a lower layer.
 * After every test the sandbox must hold nothing new outside the snapshot root.
 */
describe('applyLayerTar refuses or contains malicious entries', () => {
  let dir: TempDir;
  let root: string;
  let outside: string;
  let lower: string;
  let before_: string[];
  let n = 0;

  before(() => {
    dir = tempDir('berth-malicious-');
  });
  after(() => dir.cleanup());

  beforeEach(async () => {
    n++;
    root = path.join(dir.path, `case-${n}`, 'sandbox', 'root');
    outside = path.join(dir.path, `case-${n}`, 'sandbox', 'outside');
    lower = path.join(dir.path, `case-${n}`, 'sandbox', 'lower');
    await mkdir(root, { recursive: true });
    await mkdir(outside);
    await mkdir(lower);
    await writeFile(path.join(outside, 'secret'), 'secret\n');
    await applyLayer(lower, (l) => l.symlink('planted', outside).symlink('rel', '../../..').file('real/file', 'lower file').file('top-file', 'top'));
    before_ = await listTree(path.dirname(root));
  });

  afterEach(async () => {
    const now = (await listTree(path.dirname(root))).filter((p) => p !== 'root' && !p.startsWith('root/'));
    assert.deepEqual(now, before_.filter((p) => p !== 'root' && !p.startsWith('root/')), 'nothing changed outside the snapshot root');
    assert.equal(await readFile(path.join(outside, 'secret'), 'utf8'), 'secret\n');
    assert.deepEqual(await listTree(path.join(dir.path, `case-${n}`)).then((l) => l.filter((p) => !p.startsWith('sandbox'))), []);
  });

  const refuses = async (layer: (l: LayerBuilder) => unknown, pattern: RegExp, lowers = [lower]) => {
    await assert.rejects(applyLayer(root, layer, lowers), (err) => {
      assert.equal(errorKind(err), 'invalid_argument', String(err));
      assert.match((err as Error).message, pattern);
      return true;
    });
  };

  it('refuses "../x" and "a/../../x"', async () => {
    await refuses((l) => l.file('../escape', 'out'), /escapes the layer root/);
    await refuses((l) => l.file('a/../../escape', 'out'), /escapes the layer root/);
    await refuses((l) => l.device('../../dev-escape', 'char', 1, 3), /escapes the layer root/);
    await refuses((l) => l.raw({ name: '../.wh.secret', type: 'file', size: 0 }, ''), /escapes the layer root/);
  });

  it('makes absolute names relative to the snapshot', async () => {
    await applyLayer(root, (l) => l.raw({ name: '/etc/abs', type: 'file', mode: 0o644 }, 'inside').raw({ name: '//x/./y', type: 'file' }, 'y'));
    assert.equal(await readFile(path.join(root, 'etc/abs'), 'utf8'), 'inside');
    assert.equal(await readFile(path.join(root, 'x/y'), 'utf8'), 'y');
  });

  it('never writes through a symlink planted by an earlier entry', async () => {
    await refuses((l) => l.symlink('evil', outside).file('evil/secret', 'pwned'), /symlink "evil"/);
    await refuses((l) => l.symlink('up', '../..').file('up/sandbox/outside/secret', 'pwned'), /symlink "up"/);
    await refuses((l) => l.symlink('d', '/').dir('d/etc'), /symlink "d"/);
    await refuses((l) => l.symlink('w', outside).whiteout('w/secret'), /symlink "w"/);
    await refuses((l) => l.symlink('o', outside).opaque('o'), /symlink "o"/);
  });

  it('lets a later entry replace a directory tree by a file', async () => {
    await applyLayer(root, (l) => l.dir('d').dir('d/sub').file('d/sub/f', 'x').file('d', 'now a file'));
    assert.equal(await readFile(path.join(root, 'd'), 'utf8'), 'now a file');
  });

  it('replaces a symlink by a file of the same name instead of writing through it', async () => {
    await applyLayer(root, (l) => l.symlink('target', path.join(outside, 'secret')).file('target', 'mine'));
    const st = await lstat(path.join(root, 'target'));
    assert.ok(st.isFile());
    assert.equal(await readFile(path.join(root, 'target'), 'utf8'), 'mine');
  });

  it('contains a write under a symlink that a lower layer planted', async () => {
    await applyLayer(root, (l) => l.file('planted/secret', 'upper').file('rel/escape', 'upper'), [lower]);
    assert.ok((await lstat(path.join(root, 'planted'))).isDirectory(), 'a real directory in this layer');
    assert.equal(await readFile(path.join(root, 'planted/secret'), 'utf8'), 'upper');
    assert.equal(await readlink(path.join(lower, 'planted')), outside, 'the lower layer is untouched');
  });

  it('refuses hard links that point outside or through symlinks', async () => {
    await refuses((l) => l.hardlink('hl', '../../outside/secret'), /escapes the layer root/);
    await refuses((l) => l.hardlink('hl', path.join(outside, 'secret')), /not in this layer or below/);
    await refuses((l) => l.symlink('s', outside).hardlink('hl', 's/secret'), /symlink "s"/);
    await refuses((l) => l.hardlink('hl', 'planted/secret'), /symlink in a lower layer/);
    await refuses((l) => l.dir('d').hardlink('hl', 'd'), /directory/);
  });

  it('refuses malformed whiteouts and unsupported entry types', async () => {
    await refuses((l) => l.raw({ name: 'dir/.wh...', type: 'file', size: 0 }, ''), /invalid whiteout/);
    await refuses((l) => l.raw({ name: 'root-as-file', type: 'file' }, 'x').raw({ name: './', type: 'symlink', linkname: '/' }), /layer root/);
  });

  it('copies a lower hard link target only if no whiteout or opaque directory hides it', async () => {
    const mid = path.join(path.dirname(root), 'mid');
    await mkdir(mid);
    await applyLayer(mid, (l) => l.opaque('real').whiteout('top-file'), [lower]);
    await refuses((l) => l.hardlink('hl', 'real/file'), /not in this layer or below/, [mid, lower]);
    await refuses((l) => l.hardlink('hl', 'top-file'), /not in this layer or below/, [mid, lower]);
    await applyLayer(root, (l) => l.hardlink('hl', 'real/file').hardlink('hl2', 'top-file'), [lower]);
    assert.equal(await readFile(path.join(root, 'hl'), 'utf8'), 'lower file');
    assert.equal(await readFile(path.join(root, 'hl2'), 'utf8'), 'top');
    before_.push('mid', 'mid/top-file', 'mid/real');
    before_.sort();
  });

  it('leaves device nodes out (a 0/0 whiteout excepted), keeps fifos, and keeps setuid bits', async () => {
    const result = await applyLayer(root, (l) =>
      l
        .device('dev/sda', 'block', 8, 0, { mode: 0o666 })
        .device('dev/mem', 'char', 1, 1, { mode: 0o666 })
        .device('gone', 'char', 0, 0)
        .fifo('run/pipe')
        .file('bin/su', 'ELF', { mode: 0o4755 }),
    );
    assert.equal(result.skippedDevices, 2);
    await assert.rejects(lstat(path.join(root, 'dev/sda')), { code: 'ENOENT' });
    await assert.rejects(lstat(path.join(root, 'dev/mem')), { code: 'ENOENT' });
    const whiteout = await lstat(path.join(root, 'gone'));
    assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0);
    assert.ok((await lstat(path.join(root, 'run/pipe'))).isFIFO());
    assert.equal((await lstat(path.join(root, 'bin/su'))).mode & 0o7777, 0o4755, 'the image keeps its setuid binary');
  });
});
