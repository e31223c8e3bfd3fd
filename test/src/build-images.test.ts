// What a build leaves in the image store, against a whole berth stack: COPY/ADD through symlinks
// of the base image, FROM scratch images and their history, ADD of bzip2/xz/zstd/gzip tars, and
// rmi of a built image taking its intermediate images with it (as Docker does).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '@berth/kit';
import { tarOfFiles } from '@berth/fixtures';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth, docker } from './harness/cli.js';

let s: TestStack;
let dir: string;

before(async () => {
  s = await startTestStack();
  dir = mkdtempSync(path.join(os.tmpdir(), 'berth-build-images-'));
});
after(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `berth build` of a context made of `files` (the same /build endpoint the docker CLI uses). */
async function build(name: string, files: Record<string, string | Buffer>, args: string[] = []): Promise<string> {
  const ctx = path.join(dir, name.replace(/[^a-z0-9]/g, '-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(ctx, file)), { recursive: true });
    writeFileSync(path.join(ctx, file), content);
  }
  const r = await berth(s.socket, ['build', '--network', 'none', '-t', name, ...args, ctx], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}

async function run(image: string, script: string): Promise<string> {
  const r = await docker(s.socket, ['run', '--rm', '--network', 'none', image, 'sh', '-c', script]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}

async function inspect<T>(image: string): Promise<T> {
  const r = await docker(s.socket, ['image', 'inspect', image]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as T[])[0]!;
}

test('COPY and ADD into destinations under symlinks of the base image land where the links lead, inside the image', async () => {
  await build('links:base', {
    Dockerfile: `FROM ${s.busybox}
RUN mkdir -p /srv/app /srv/rel /opt && chmod 750 /srv && ln -s /srv/app /app && ln -s ../../../../srv/rel /opt/rel \\
 && ln -s /nowhere/deep /dangling && ln -s /srv /srvlink && ln -s / /root-link
`,
  });
  await build('links:copied', {
    Dockerfile: `FROM links:base
COPY a.txt /app/
COPY b.txt /opt/rel/
COPY c.txt /dangling/
ADD bundle.tar /srvlink/app/unpacked/
COPY d.txt /root-link/etc/
COPY --from=links:base /etc/passwd /app/from-stage
`,
    'a.txt': 'A\n',
    'b.txt': 'B\n',
    'c.txt': 'C\n',
    'd.txt': 'D\n',
    'bundle.tar': await tarOfFiles({ 'inner.txt': 'inner\n' }),
  });
  const out = await run('links:copied', 'readlink /app; readlink /opt/rel; readlink /dangling; cat /srv/app/a.txt /srv/rel/b.txt /nowhere/deep/c.txt /srv/app/unpacked/inner.txt /etc/d.txt; test -f /srv/app/from-stage && echo from; stat -c %a /srv');
  assert.deepEqual(out.trim().split('\n'), ['/srv/app', '../../../../srv/rel', '/nowhere/deep', 'A', 'B', 'C', 'inner', 'D', 'from', '750']);
  assert.equal(existsSync('/nowhere'), false, 'an absolute link target is inside the image, never the host');
});

test('FROM scratch: config steps make images with no layer; history and inspect read as Docker\'s', async () => {
  await build('scratch:config', { Dockerfile: 'FROM scratch\nLABEL only=config\nCMD ["/nothing"]\n' });
  const img = await inspect<{ Id: string; RootFS: Record<string, unknown>; Size: number; Config: { Labels: Record<string, string>; Cmd: string[] } }>('scratch:config');
  assert.deepEqual(img.RootFS, { Type: 'layers' }, 'no layer at all (Layers left out, as Docker does)');
  assert.equal(img.Size, 0);
  assert.deepEqual(img.Config.Labels, { only: 'config' });
  assert.deepEqual(img.Config.Cmd, ['/nothing']);
  const history = await docker(s.socket, ['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', 'scratch:config']);
  assert.equal(history.code, 0, history.stderr);
  const rows = history.stdout.trim().split('\n').map((l) => l.split('|'));
  assert.deepEqual(rows.map((r) => r.slice(1)), [['/bin/sh -c #(nop)  CMD ["/nothing"]', '0B'], ['/bin/sh -c #(nop)  LABEL only=config', '0B']]);
  assert.equal(rows[0]![0], img.Id);
  assert.match(rows[1]![0]!, /^sha256:[0-9a-f]{64}$/, 'the LABEL step is an image of its own, its id shown');

  const out = await build('scratch:copy', { Dockerfile: 'FROM scratch\nENV X=1\nLABEL a=b\nCOPY f.txt /sub/\nCMD ["/sub/f.txt"]\n', 'f.txt': 'f\n' });
  assert.match(out, /Successfully tagged scratch:copy/);
  const copied = await inspect<{ RootFS: { Layers: string[] } }>('scratch:copy');
  assert.equal(copied.RootFS.Layers.length, 1, 'the COPY layer only');
  const steps = await docker(s.socket, ['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'scratch:copy']);
  const lines = steps.stdout.trim().split('\n');
  assert.equal(lines.length, 4, steps.stdout);
  assert.deepEqual([lines[0], lines[2], lines[3]], ['/bin/sh -c #(nop)  CMD ["/sub/f.txt"]|0B', '/bin/sh -c #(nop)  LABEL a=b|0B', '/bin/sh -c #(nop)  ENV X=1|0B']);
  assert.match(lines[1]!, /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/sub\/ \|(?!0B)\S+B$/, 'a space after the destination, as moby writes it');
});

test('ADD extracts gzip, bzip2, xz and zstd tars; a file that is not an archive is copied as it is', async () => {
  const plain = path.join(dir, 'bundle.tar');
  writeFileSync(plain, await tarOfFiles({ 'top/file.txt': 'packed\n' }));
  const compressed: Record<string, Buffer> = { 'b.tar.gz': gzipSync(readFileSync(plain)) };
  for (const [tool, ext, extra] of [['bzip2', 'bz2', []], ['xz', 'xz', []], ['zstd', 'zst', ['-q']]] as const) {
    await runCommand(tool, [...extra, '-k', '-f', plain]);
    compressed[`b.tar.${ext}`] = readFileSync(`${plain}.${ext}`);
  }
  writeFileSync(path.join(dir, 'notes.txt'), 'plain text, not a tar\n');
  await runCommand('bzip2', ['-k', '-f', path.join(dir, 'notes.txt')]);
  await build('add:archives', {
    Dockerfile: `FROM ${s.busybox}
ADD b.tar.gz /gz/
ADD b.tar.bz2 /bz2/
ADD b.tar.xz /xz/
ADD b.tar.zst /zst/
ADD notes.txt.bz2 fake.tar.xz /raw/
`,
    ...compressed,
    'notes.txt.bz2': readFileSync(path.join(dir, 'notes.txt.bz2')),
    'fake.tar.xz': 'not xz at all\n',
  });
  const out = await run('add:archives', 'cat /gz/top/file.txt /bz2/top/file.txt /xz/top/file.txt /zst/top/file.txt; head -c 3 /raw/notes.txt.bz2; echo; cat /raw/fake.tar.xz');
  assert.deepEqual(out.trim().split('\n'), ['packed', 'packed', 'packed', 'packed', 'BZh', 'not xz at all']);
});

test('docker rmi of a built image deletes its untagged intermediate images, unless --no-prune; shared, tagged or used parents stay', async () => {
  const dockerfile = (cmd: string) => `FROM ${s.busybox}\nENV A=1\nRUN echo one > /one\nCOPY f.txt /f.txt\nCMD ["${cmd}"]\n`;
  const stepIds = (out: string) => [...out.matchAll(/^ ---> ([0-9a-f]{12})$/gm)].map((m) => m[1]!);
  const listed = async () => (await docker(s.socket, ['images', '-a', '-q', '--no-trunc'])).stdout;
  const files = { 'f.txt': 'f\n' };

  const out = await build('rmi:one', { Dockerfile: dockerfile('one'), ...files });
  const [base, env, runStep, copy, final] = stepIds(out);
  assert.ok(base && env && runStep && copy && final, out);
  const rmi = await docker(s.socket, ['rmi', 'rmi:one']);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.match(rmi.stdout, /^Untagged: rmi:one$/m);
  const deleted = rmi.stdout.split('\n').filter((l) => l.startsWith('Deleted: ')).map((l) => l.slice('Deleted: sha256:'.length, 'Deleted: sha256:'.length + 12));
  for (const id of [final, copy, runStep, env]) assert.ok(deleted.includes(id), `${id} deleted:\n${rmi.stdout}`);
  assert.ok(deleted.indexOf(final) < deleted.indexOf(env), 'the image first, then its parents');
  const after = await listed();
  for (const id of [final, copy, runStep, env]) assert.doesNotMatch(after, new RegExp(id));
  assert.match(after, new RegExp(base), 'the tagged base image stays');

  // --no-prune: only the image goes; the next build finds its steps in the cache.
  await build('rmi:two', { Dockerfile: dockerfile('two'), ...files });
  const kept = await docker(s.socket, ['rmi', '--no-prune', 'rmi:two']);
  assert.equal(kept.code, 0, kept.stderr);
  assert.equal(kept.stdout.split('\n').filter((l) => l.startsWith('Deleted: sha256:')).length, 1, kept.stdout);
  const again = (await build('rmi:two', { Dockerfile: dockerfile('two'), ...files })).split(/is gone: building again\n/);
  assert.equal(again.length, 2, 'the removed CMD image was found gone');
  assert.equal(again[1]!.split('\n').filter((l) => l.trim() === '---> Using cache').length, 3, again[1]);
  assert.doesNotMatch(again[1]!, /Running in/);

  // Two images share ENV/RUN/COPY: removing one leaves the shared steps; a container or a name keeps a parent too.
  const three = await build('rmi:three', { Dockerfile: dockerfile('three'), ...files });
  const [, sharedEnv, sharedRun, sharedCopy] = stepIds(three);
  const removed = await docker(s.socket, ['rmi', 'rmi:two']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout.split('\n').filter((l) => l.startsWith('Deleted: sha256:')).length, 1, 'only its CMD image: the rest is rmi:three\'s too');
  const conflict = await docker(s.socket, ['rmi', '-f', sharedCopy!]);
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /conflict: unable to delete [0-9a-f]{12} \(cannot be forced\) - image has dependent child images/);
  assert.equal((await docker(s.socket, ['tag', sharedRun!, 'rmi:named-run'])).code, 0);
  const gone = await docker(s.socket, ['rmi', 'rmi:three']);
  assert.equal(gone.code, 0, gone.stderr);
  const left = await listed();
  assert.doesNotMatch(left, new RegExp(sharedCopy!));
  assert.match(left, new RegExp(sharedRun!), 'a named parent stays');
  assert.match(left, new RegExp(sharedEnv!), 'and so does what is below it');
  const container = await docker(s.socket, ['create', '--network', 'none', sharedEnv!, 'true']);
  assert.equal(container.code, 0, container.stderr);
  const untagged = await docker(s.socket, ['rmi', 'rmi:named-run']);
  assert.equal(untagged.code, 0, untagged.stderr);
  const final2 = await listed();
  assert.doesNotMatch(final2, new RegExp(sharedRun!));
  assert.match(final2, new RegExp(sharedEnv!), 'a parent a container uses stays');
  assert.equal((await docker(s.socket, ['rm', container.stdout.trim()])).code, 0);
});
