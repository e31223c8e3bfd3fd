// docker diff, cp and export through the stock docker CLI against a whole berth stack: real
// overlay snapshots, real runc containers, running and stopped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar-stream';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth, docker } from './harness/cli.js';

let s: TestStack;
let work: string;
const dk = (args: string[], input?: string) => docker(s.socket, args, input === undefined ? {} : { input });
const ok = async (args: string[], input?: string) => {
  const r = await dk(args, input);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const tarList = async (file: string) => (await promisify(execFile)('tar', ['-tf', file])).stdout.split('\n').filter(Boolean);
const tarCat = async (file: string, member: string) => (await promisify(execFile)('tar', ['-xOf', file, member])).stdout;

before(async () => {
  s = await startTestStack();
  work = await mkdtemp(path.join(os.tmpdir(), 'berth-cp-'));
  await ok(['pull', '-q', s.busybox]);
  // A stopped container that added, changed and deleted files (a directory of the image too).
  await ok(['run', '--name', 'changer', '--network', 'none', s.busybox, 'sh', '-c',
    'mkdir /data && echo hi > /data/new.txt && echo extra >> /etc/passwd && rm /etc/shadow && rm -r /home/app']);
  await ok(['run', '-d', '--name', 'box', '--network', 'none', s.busybox, 'sleep', '600']);
});
after(async () => {
  await s?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('docker diff lists exactly what a container added, changed and deleted', async () => {
  const expected = ['A /data', 'A /data/new.txt', 'C /etc', 'C /etc/passwd', 'D /etc/shadow', 'C /home', 'D /home/app'];
  assert.deepEqual((await ok(['diff', 'changer'])).trim().split('\n'), expected);
  // A running container: its runtime mount points (/etc/hosts …) are not changes.
  assert.equal((await ok(['diff', 'box'])).trim(), '');
  await ok(['exec', 'box', 'sh', '-c', 'echo x > /tmp/running && rm /bin/vi']);
  assert.deepEqual((await ok(['diff', 'box'])).trim().split('\n'), ['C /bin', 'D /bin/vi', 'C /tmp', 'A /tmp/running']);
  assert.equal((await berth(s.socket, ['diff', 'changer'])).stdout.trim().split('\n').length, expected.length);
  const missing = await dk(['diff', 'no-such-container']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /No such container/);
});

test('docker export writes the merged filesystem', async () => {
  const file = path.join(work, 'changer.tar');
  await ok(['export', '-o', file, 'changer']);
  const names = new Set(await tarList(file));
  for (const n of ['data/new.txt', 'bin/busybox', 'bin/sh', 'etc/passwd', 'home/']) assert.ok(names.has(n), `${n} in the export`);
  for (const n of ['etc/shadow', 'home/app/']) assert.ok(!names.has(n), `${n} not in the export`);
  assert.match(await tarCat(file, 'etc/passwd'), /^root:x:0:0[\s\S]*\nextra\n$/);
  assert.equal(await tarCat(file, 'data/new.txt'), 'hi\n');
  // A running container, through the berth CLI.
  const fromBerth = path.join(work, 'box.tar');
  const b = await berth(s.socket, ['export', '-o', fromBerth, 'box']);
  assert.equal(b.code, 0, b.stderr);
  assert.ok((await tarList(fromBerth)).includes('tmp/running'));
  // The container runs on, thawed.
  assert.equal((await ok(['exec', 'box', 'echo', 'alive'])).trim(), 'alive');
});

test('docker cp copies files and directories into and out of running and stopped containers', async () => {
  const src = path.join(work, 'src');
  await mkdir(path.join(src, 'tree/sub'), { recursive: true });
  await writeFile(path.join(src, 'hello.txt'), 'hello from the host\n');
  await writeFile(path.join(src, 'tree/sub/f'), 'deep\n');
  for (const c of ['box', 'changer']) {
    await ok(['cp', path.join(src, 'hello.txt'), `${c}:/tmp/`]);
    await ok(['cp', path.join(src, 'tree'), `${c}:/tmp/tree`]);
    const out = path.join(work, `out-${c}`);
    await mkdir(out);
    await ok(['cp', `${c}:/tmp/hello.txt`, path.join(out, 'hello-back.txt')]);
    assert.equal(await readFile(path.join(out, 'hello-back.txt'), 'utf8'), 'hello from the host\n');
    await ok(['cp', `${c}:/tmp/tree`, path.join(out, 'tree')]);
    assert.equal(await readFile(path.join(out, 'tree/sub/f'), 'utf8'), 'deep\n');
    await ok(['cp', `${c}:/etc`, path.join(out, 'etc')]);
    assert.match(await readFile(path.join(out, 'etc/passwd'), 'utf8'), /^root:x:0:0/);
  }
  assert.equal((await ok(['exec', 'box', 'cat', '/tmp/hello.txt', '/tmp/tree/sub/f'])).trim(), 'hello from the host\ndeep');
  assert.deepEqual(
    (await ok(['diff', 'changer'])).trim().split('\n').filter((l) => l.includes('/tmp')),
    ['C /tmp', 'A /tmp/hello.txt', 'A /tmp/tree', 'A /tmp/tree/sub', 'A /tmp/tree/sub/f'],
  );
  // Errors as Docker words them.
  const noFile = await dk(['cp', 'box:/no/such/file', path.join(work, 'x')]);
  assert.notEqual(noFile.code, 0);
  assert.match(noFile.stderr, /Could not find the file \/no\/such\/file in container/);
  const noDir = await dk(['cp', path.join(src, 'hello.txt'), 'box:/no/such/dir/']);
  assert.notEqual(noDir.code, 0);
  // The berth CLI both ways.
  const up = await berth(s.socket, ['cp', path.join(src, 'hello.txt'), 'box:/root/']);
  assert.equal(up.code, 0, up.stderr);
  const down = await berth(s.socket, ['cp', 'box:/root/hello.txt', path.join(work, 'berth-back.txt')]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await readFile(path.join(work, 'berth-back.txt'), 'utf8'), 'hello from the host\n');
  // -L: the file behind a container symlink, resolved in the container.
  await ok(['exec', 'box', 'ln', '-s', '../root/hello.txt', '/tmp/hello-link']);
  const followed = await berth(s.socket, ['cp', '-L', 'box:/tmp/hello-link', path.join(work, 'followed.txt')]);
  assert.equal(followed.code, 0, followed.stderr);
  assert.equal(await readFile(path.join(work, 'followed.txt'), 'utf8'), 'hello from the host\n');
  await ok(['cp', '-L', 'box:/tmp/hello-link', path.join(work, 'followed-docker.txt')]);
  assert.equal(await readFile(path.join(work, 'followed-docker.txt'), 'utf8'), 'hello from the host\n');
});

test('docker cp cannot reach host files through the container\'s symlinks', async () => {
  const secretDir = await mkdtemp(path.join(os.tmpdir(), 'berth-host-secret-'));
  try {
    await writeFile(path.join(secretDir, 'secret.txt'), 'HOST SECRET\n');
    await ok(['exec', 'box', 'sh', '-c', `ln -s /../../../../../../..${secretDir} /escape && ln -s ${secretDir}/secret.txt /abs-escape`]);
    // Reading through the link resolves inside the rootfs, where there is no such file.
    const read = await dk(['cp', 'box:/escape/secret.txt', path.join(work, 'stolen.txt')]);
    assert.notEqual(read.code, 0);
    assert.match(read.stderr, /Could not find the file/);
    await assert.rejects(readFile(path.join(work, 'stolen.txt')));
    // The link itself comes out as a link, not the host file behind it.
    await ok(['cp', 'box:/abs-escape', path.join(work, 'link-copy')]);
    assert.ok((await lstat(path.join(work, 'link-copy'))).isSymbolicLink());
    assert.equal(await readlink(path.join(work, 'link-copy')), `${secretDir}/secret.txt`);
    // Writing through the link lands in the rootfs (or nowhere), never in the host directory.
    await dk(['cp', path.join(work, 'berth-back.txt'), 'box:/escape/']);
    await ok(['exec', 'box', 'mkdir', '-p', secretDir]);
    await ok(['cp', path.join(work, 'berth-back.txt'), 'box:/escape/']);
    assert.equal((await ok(['exec', 'box', 'cat', `${secretDir}/berth-back.txt`])), 'hello from the host\n');
    await assert.rejects(readFile(path.join(secretDir, 'berth-back.txt')));
    assert.equal(await readFile(path.join(secretDir, 'secret.txt'), 'utf8'), 'HOST SECRET\n');
    // A crafted tar on stdin: ".." entries are refused, a symlink entry cannot carry later entries out.
    const refused = await dk(['cp', '-', 'box:/tmp'], await tarString([{ name: `../../../../../..${secretDir}/pwned`, body: 'x' }]));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /points outside the destination/);
    await ok(['cp', '-', 'box:/tmp'], await tarString([
      { name: 'out', type: 'symlink', linkname: secretDir },
      { name: 'out/pwned', body: 'inside\n' },
    ]));
    assert.equal(await ok(['exec', 'box', 'cat', `${secretDir}/pwned`]), 'inside\n');
    await assert.rejects(readFile(path.join(secretDir, 'pwned')));
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
});

test('docker cp streams tars on stdin and stdout, and refuses volumes', async () => {
  await ok(['cp', '-', 'box:/tmp'], await tarString([{ name: 'piped/in.txt', body: 'piped\n' }]));
  assert.equal(await ok(['exec', 'box', 'cat', '/tmp/piped/in.txt']), 'piped\n');
  const file = path.join(work, 'stdout.tar');
  await writeFile(file, Buffer.from(await ok(['cp', 'box:/tmp/piped', '-']), 'latin1'));
  assert.deepEqual(await tarList(file), ['piped/', 'piped/in.txt']);
  await ok(['run', '-d', '--name', 'withvol', '--network', 'none', '-v', 'cpvol:/vol', s.busybox, 'sleep', '600']);
  await writeFile(path.join(work, 'to-volume.txt'), 'v\n');
  for (const dest of ['withvol:/vol/x.txt', 'withvol:/vol']) {
    const intoVolume = await dk(['cp', path.join(work, 'to-volume.txt'), dest]);
    assert.notEqual(intoVolume.code, 0, dest);
    assert.match(intoVolume.stderr, /volumes, bind mounts and tmpfs is not supported/);
  }
  await ok(['rm', '-f', 'withvol']);
  await ok(['volume', 'rm', 'cpvol']);
});

/** A tar as a string the CLI harness can feed on stdin (ASCII only, so latin1 round-trips). */
async function tarString(entries: Array<{ name: string; type?: 'file' | 'symlink'; linkname?: string; body?: string }>): Promise<string> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', mode: 0o644, ...(e.linkname ? { linkname: e.linkname } : {}) }, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('latin1');
}
