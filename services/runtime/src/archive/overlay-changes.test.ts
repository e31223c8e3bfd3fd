import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '@berth/kit';
import { ChangeKind, overlayChanges } from './overlay-changes.js';
import { isOpaqueDir } from './xattr.js';

const root = process.getuid?.() === 0;

describe('overlayChanges', { skip: root ? false : 'needs root (mknod, trusted xattrs)' }, () => {
  let dir: string;
  let upper: string;
  let lower1: string;
  let lower2: string;
  const files = async (base: string, entries: Record<string, string | null>) => {
    for (const [p, content] of Object.entries(entries)) {
      const full = path.join(base, p);
      await mkdir(path.dirname(full), { recursive: true });
      if (content === null) await mkdir(full, { recursive: true });
      else await writeFile(full, content);
    }
  };
  const whiteout = (p: string) => runCommand('mknod', ['-m', '0600', p, 'c', '0', '0'], { timeoutMs: 10_000 });
  const opaque = (p: string) => runCommand('setfattr', ['-h', '-n', 'trusted.overlay.opaque', '-v', 'y', p], { timeoutMs: 10_000 });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-changes-'));
    [upper, lower1, lower2] = ['upper', 'l1', 'l2'].map((d) => path.join(dir, d)) as [string, string, string];
    // lower2 is the bottom layer, lower1 above it.
    await files(lower2, { 'etc/passwd': 'root', 'etc/profile': 'x', 'usr/share/doc/a': 'a', 'var/old/x': 'x', 'gone/f': 'f', 'opq/keep': 'k', 'bin/sh': 'sh' });
    await files(lower1, { 'etc/group': 'g', 'hidden/': null });
    await whiteout(path.join(lower1, 'gone')); // already deleted in the image: not visible
    await files(upper, {
      'etc/passwd': 'root2', // modified
      'new/file': 'n', // added, with its new dir
      'usr/share/doc/b': 'b', // added deep: usr, usr/share, usr/share/doc modified
      'opq/fresh': 'f', // opaque dir: modified, its content added
      'gone/again': 'g', // re-created where the image had deleted: added
      'dev/null-ish': '', // a runtime mount point: skipped
      'etc/hostname': '', // ditto
      'mnt/': null, // untouched copy-up: same mode and owner as... not in lowers: added
    });
    await mkdir(path.join(upper, 'var'));
    await whiteout(path.join(upper, 'var/old')); // a directory of the image deleted
    await whiteout(path.join(upper, 'etc/profile')); // a file deleted
    await opaque(path.join(upper, 'opq'));
    await mkdir(path.join(upper, 'bin'));
    await chmod(path.join(upper, 'bin'), 0o700); // mode changed: modified on its own
    await symlink('/../../../host', path.join(upper, 'etc/escape'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('reports added, modified and deleted paths as Docker does', async () => {
    const skip = (p: string) => p === '/etc/hostname' || p === '/dev' || p.startsWith('/dev/');
    const changes = await overlayChanges({ upper, lowers: [lower1, lower2], isOpaque: isOpaqueDir, skip });
    const K = ChangeKind;
    assert.deepEqual(changes, [
      { path: '/bin', kind: K.Modified },
      { path: '/etc', kind: K.Modified },
      { path: '/etc/escape', kind: K.Added },
      { path: '/etc/passwd', kind: K.Modified },
      { path: '/etc/profile', kind: K.Deleted },
      { path: '/gone', kind: K.Added },
      { path: '/gone/again', kind: K.Added },
      { path: '/mnt', kind: K.Added },
      { path: '/new', kind: K.Added },
      { path: '/new/file', kind: K.Added },
      { path: '/opq', kind: K.Modified },
      { path: '/opq/fresh', kind: K.Added },
      { path: '/usr', kind: K.Modified },
      { path: '/usr/share', kind: K.Modified },
      { path: '/usr/share/doc', kind: K.Modified },
      { path: '/usr/share/doc/b', kind: K.Added },
      { path: '/var', kind: K.Modified },
      { path: '/var/old', kind: K.Deleted },
    ]);
  });

  it('leaves out a directory copied up only for a skipped mount point', async () => {
    const changes = await overlayChanges({ upper, lowers: [lower1, lower2], isOpaque: isOpaqueDir, skip: (p) => p !== '/etc' && p !== '/etc/hostname' && p.split('/').length === 2 ? true : p === '/etc/hostname' });
    assert.deepEqual(changes, [
      { path: '/etc', kind: ChangeKind.Modified },
      { path: '/etc/escape', kind: ChangeKind.Added },
      { path: '/etc/passwd', kind: ChangeKind.Modified },
      { path: '/etc/profile', kind: ChangeKind.Deleted },
    ]);
    const onlyMountPoint = await mkdtemp(path.join(dir, 'u2-'));
    await files(onlyMountPoint, { 'etc/hostname': '' });
    assert.deepEqual(await overlayChanges({ upper: onlyMountPoint, lowers: [lower1, lower2], isOpaque: isOpaqueDir, skip: (p) => p === '/etc/hostname' }), []);
  });
});
