import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as tar from 'tar-stream';
import { errorKind } from '@berth/kit';
import { resolveContainerPath, statContainerPath } from './container-path.js';
import { packTree } from './tar-pack.js';
import { entryParts, unpackTar } from './tar-unpack.js';

/** A host directory beside the rootfs, holding what no container path may reach. */
describe('container paths (chroot-like resolution)', () => {
  let dir: string;
  let root: string;
  let host: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-cpath-'));
    root = path.join(dir, 'rootfs');
    host = path.join(dir, 'host');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await mkdir(path.join(root, 'data/sub'), { recursive: true });
    await mkdir(host);
    await writeFile(path.join(host, 'secret'), 'host secret');
    await writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0');
    await writeFile(path.join(root, 'secret'), 'container secret');
    await symlink('/../../../host', path.join(root, 'etc/x')); // absolute with ..: stays in the rootfs
    await symlink('../../../host/secret', path.join(root, 'data/rel')); // relative escape
    await symlink(path.join(host, 'secret'), path.join(root, 'data/abs')); // a host path: read in the rootfs
    await symlink('missing/../../../../host', path.join(root, 'data/through-missing'));
    await symlink('/data', path.join(root, 'link-to-data'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('follows symlinks in the directory part inside the rootfs only', async () => {
    assert.equal((await resolveContainerPath(root, '/etc/x/secret')).host, path.join(root, 'host/secret'));
    assert.equal((await resolveContainerPath(root, '../../host/secret')).host, path.join(root, 'host/secret'));
    assert.equal((await resolveContainerPath(root, '/data/through-missing/secret')).host, path.join(root, 'host/secret'));
    assert.equal((await resolveContainerPath(root, '/link-to-data/sub')).host, path.join(root, 'data/sub'));
    assert.equal((await resolveContainerPath(root, '/link-to-data/sub/')).abs, '/link-to-data/sub/');
    assert.equal((await resolveContainerPath(root, 'data/.')).abs, '/data/.');
  });

  it('does not follow the last element, and resolves a link target within the rootfs', async () => {
    const r = await resolveContainerPath(root, '/data/abs');
    assert.equal(r.host, path.join(root, 'data/abs'));
    const { stat } = await statContainerPath(root, r, 'c1');
    assert.equal(stat.name, 'abs');
    assert.equal(stat.linkTarget, path.join('/', path.relative('/', host), 'secret'));
    const rel = await statContainerPath(root, await resolveContainerPath(root, '/data/rel'), 'c1');
    assert.equal(rel.stat.linkTarget, '/host/secret');
    await assert.rejects(statContainerPath(root, await resolveContainerPath(root, '/nope/x'), 'c1'), (e) => errorKind(e) === 'not_found');
  });

  it('archives a symlink as a symlink, never the host file behind it', async () => {
    const names: string[] = [];
    const bodies: string[] = [];
    const extract = tar.extract();
    const done = (async () => {
      for await (const e of extract) {
        names.push(`${e.header.type}:${e.header.name}:${e.header.linkname ?? ''}`);
        let s = '';
        for await (const c of e) s += String(c);
        bodies.push(s);
      }
    })();
    Readable.from(packTree(path.join(root, 'data'), 'data')).pipe(extract as unknown as NodeJS.WritableStream);
    await done;
    assert.ok(names.includes(`symlink:data/abs:${path.join(host, 'secret')}`));
    assert.ok(names.includes('symlink:data/rel:../../../host/secret'));
    assert.ok(!bodies.some((b) => b.includes('host secret')));
  });

  it('refuses tar entries that climb out, and writes through no symlink', async () => {
    assert.throws(() => entryParts('../x'), (e) => errorKind(e) === 'invalid_argument');
    assert.throws(() => entryParts('a/../../x'), (e) => errorKind(e) === 'invalid_argument');
    assert.deepEqual(entryParts('/abs/./b/../c'), ['abs', 'c']);

    const write = async (entries: Array<{ name: string; type?: 'file' | 'symlink' | 'directory' | 'link'; linkname?: string; body?: string }>) => {
      const pack = tar.pack();
      for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', ...(e.linkname ? { linkname: e.linkname } : {}), mode: 0o644 }, e.body ?? '');
      pack.finalize();
      return unpackTar(pack as unknown as AsyncIterable<Uint8Array>, { root, dest: '/data', noOverwriteDirNonDir: false, copyUidGid: false });
    };
    // Through the container's own symlinks: /etc/x -> /../../../host lands in <rootfs>/host.
    await mkdir(path.join(root, 'host'), { recursive: true });
    await write([{ name: 'x-dir/f', body: 'a' }]);
    await symlink('/etc/x', path.join(root, 'data/via'));
    await write([{ name: 'via/secret', body: 'overwritten?' }]);
    assert.equal(await readFile(path.join(host, 'secret'), 'utf8'), 'host secret');
    assert.equal(await readFile(path.join(root, 'host/secret'), 'utf8'), 'overwritten?');
    // A symlink entry then a file through it: the file goes where the link points, in the rootfs.
    await write([{ name: 'evil', type: 'symlink', linkname: path.join(host) }, { name: 'evil/secret', body: 'pwned' }]);
    assert.equal(await readFile(path.join(host, 'secret'), 'utf8'), 'host secret');
    // A file entry over an existing symlink replaces the link, it does not write through it.
    await write([{ name: 'abs', body: 'replaced' }]);
    assert.equal(await readFile(path.join(host, 'secret'), 'utf8'), 'host secret');
    assert.equal(await readFile(path.join(root, 'data/abs'), 'utf8'), 'replaced');
    // Hard links may only name files of the rootfs.
    await assert.rejects(write([{ name: 'hl', type: 'link', linkname: '../../../host/secret' }]), (e) => errorKind(e) === 'invalid_argument');
    await assert.rejects(write([{ name: '../escape', body: 'x' }]), (e) => errorKind(e) === 'invalid_argument');
    await assert.rejects(readFile(path.join(dir, 'escape')), { code: 'ENOENT' });
  });
});
