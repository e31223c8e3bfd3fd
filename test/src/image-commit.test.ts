// docker commit and docker import through the stock docker CLI (and the berth CLI) against a whole
// berth stack: real runc containers on overlay snapshots, a real registry for the base image.
import { createServer, type Server } from 'node:http';
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describeBusyboxRootfs, LayerBuilder, tarStream } from '@berth/fixtures';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth, docker } from './harness/cli.js';

let s: TestStack;
let dir: string;
const dk = (args: string[], input?: string) => docker(s.socket, args, input === undefined ? {} : { input });

before(async () => {
  s = await startTestStack();
  dir = mkdtempSync(path.join(os.tmpdir(), 'berth-commit-'));
  assert.equal((await dk(['pull', '-q', s.busybox])).code, 0);
});
after(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 20; !(await probe()); pause = Math.min(pause * 2, 250)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(pause);
  }
}

/** What the image service holds on disk: snapshot dirs, blobs, ingests. */
function imageState(): { snapshots: string[]; blobs: string[]; ingest: string[] } {
  const root = path.join(s.root, 'state', 'image');
  return {
    snapshots: readdirSync(path.join(root, 'snapshots')).sort(),
    blobs: readdirSync(path.join(root, 'content', 'blobs', 'sha256')).sort(),
    ingest: readdirSync(path.join(root, 'content', 'ingest')).sort(),
  };
}

test('docker commit of a stopped container: created, changed and deleted files (an image dir too), opaque dirs', async () => {
  const script = [
    'echo new > /new',
    'echo changed > /etc/group',
    'rm /etc/shadow',
    'rm -rf /home', // a directory (with a subdirectory) from the image
    'rm -rf /var && mkdir /var && echo v > /var/only', // replaced: an opaque dir
  ].join(' && ');
  const run = await dk(['run', '--name', 'changer', '--network', 'none', s.busybox, 'sh', '-c', script]);
  assert.equal(run.code, 0, run.stderr);
  const commit = await dk(['commit', '-a', 'Ada <ada@example.com>', '-m', 'my changes', 'changer', 'committed:1']);
  assert.equal(commit.code, 0, commit.stderr);
  assert.match(commit.stdout.trim(), /^sha256:[0-9a-f]{64}$/);

  const check = await dk(['run', '--rm', '--network', 'none', 'committed:1', 'sh', '-c', 'ls /; echo --; cat /new /etc/group; ls /var; ls /etc/shadow /home 2>&1; true']);
  assert.equal(check.code, 0, check.stderr);
  const [listing, rest] = check.stdout.split('--\n');
  assert.deepEqual(listing!.trim().split(/\s+/).sort(), ['bin', 'dev', 'etc', 'new', 'proc', 'root', 'sys', 'tmp', 'usr', 'var']);
  const lines = rest!.trim().split('\n');
  assert.deepEqual(lines.slice(0, 3), ['new', 'changed', 'only']);
  assert.match(lines[3]!, /\/etc\/shadow: No such file or directory/);
  assert.match(lines[4]!, /\/home: No such file or directory/);

  const inspect = JSON.parse((await dk(['image', 'inspect', 'committed:1'])).stdout) as Array<{ Author: string; Comment: string; RootFS: { Layers: string[] }; Config: { Cmd: string[] } }>;
  const base = JSON.parse((await dk(['image', 'inspect', s.busybox])).stdout) as Array<{ RootFS: { Layers: string[] } }>;
  assert.equal(inspect[0]!.Author, 'Ada <ada@example.com>');
  assert.equal(inspect[0]!.RootFS.Layers.length, base[0]!.RootFS.Layers.length + 1);
  assert.deepEqual(inspect[0]!.Config.Cmd, ['sh', '-c', script], "the container's command becomes the image's");

  const history = await dk(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}|{{.Size}}', 'committed:1']);
  assert.equal(history.code, 0, history.stderr);
  const [top] = history.stdout.trim().split('\n');
  assert.match(top!, new RegExp(`^sh -c ${script.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\|my changes\\|\\d`));
  assert.equal((await dk(['rm', 'changer'])).code, 0);
});

test('docker commit --change on a running container: paused around the commit, CMD applied; unchanged → empty layer', async () => {
  const run = await dk(['run', '-d', '--name', 'runner', '--network', 'none', '-e', 'KEEP=1', s.busybox, 'sh', '-c', 'echo from-x > /x; exec sleep 600']);
  assert.equal(run.code, 0, run.stderr);
  await until('/x', async () => (await dk(['exec', 'runner', 'cat', '/x'])).stdout === 'from-x\n');
  const commit = await dk(['commit', '--change', 'CMD ["cat","/x"]', '--change', 'ENV MORE=2', '--change', 'LABEL stage=test', 'runner', 'withcmd']);
  assert.equal(commit.code, 0, commit.stderr);
  assert.equal((await dk(['inspect', '-f', '{{.State.Status}}', 'runner'])).stdout.trim(), 'running', 'unpaused after the commit');
  const out = await dk(['run', '--rm', '--network', 'none', 'withcmd']);
  assert.deepEqual([out.code, out.stdout], [0, 'from-x\n']);
  const cfg = JSON.parse((await dk(['image', 'inspect', '-f', '{{json .Config}}', 'withcmd'])).stdout) as { Env: string[]; Labels: Record<string, string> };
  assert.ok(cfg.Env.includes('KEEP=1') && cfg.Env.includes('MORE=2'), cfg.Env.join(','));
  assert.equal(cfg.Labels['stage'], 'test');

  const bad = await dk(['commit', '--change', 'RUN rm -rf /', 'runner', 'never']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /RUN is not a valid change command/);
  assert.equal((await dk(['inspect', '-f', '{{.State.Status}}', 'runner'])).stdout.trim(), 'running');

  // A container that changed nothing: moby adds no layer, the history step says empty_layer.
  const idle = await dk(['run', '-d', '--name', 'idle', '--network', 'none', s.busybox, 'sleep', '600']);
  assert.equal(idle.code, 0, idle.stderr);
  const viaBerth = await berth(s.socket, ['commit', '-m', 'nothing', 'idle', 'idle:1']);
  assert.equal(viaBerth.code, 0, viaBerth.stderr);
  const layers = async (ref: string) => (JSON.parse((await dk(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', ref])).stdout) as string[]).length;
  assert.equal(await layers('idle:1'), await layers(s.busybox));
  assert.equal((await dk(['rm', '-f', 'runner', 'idle'])).code, 0);
});

/** busybox-static as a rootfs tarball (gzip), made here. */
async function rootfsTarball(file: string): Promise<void> {
  const layer = new LayerBuilder();
  await describeBusyboxRootfs(layer);
  await pipeline(tarStream(layer.entries), createGzip(), createWriteStream(file));
}

test('docker import: a rootfs tarball from a file and from a loopback URL runs; other hosts are refused', async () => {
  const tarball = path.join(dir, 'rootfs.tar.gz');
  await rootfsTarball(tarball);
  const imp = await dk(['import', '-c', 'ENV PATH=/bin', '-c', 'CMD ["sh","-c","echo imported $PATH"]', '-m', 'from a file', tarball, 'imported:1']);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
  const out = await dk(['run', '--rm', '--network', 'none', 'imported:1']);
  assert.deepEqual([out.code, out.stdout], [0, 'imported /bin\n']);
  const history = await dk(['history', '--format', '{{.Comment}}', 'imported:1']);
  assert.equal(history.stdout.trim(), 'from a file');

  const server: Server = createServer((req, res) => {
    if (req.url !== '/rootfs.tar.gz') return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/gzip' });
    void pipeline(createReadStream(tarball), res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const viaUrl = await berth(s.socket, ['import', `http://127.0.0.1:${port}/rootfs.tar.gz`, 'fromurl:1']);
    assert.equal(viaUrl.code, 0, viaUrl.stderr);
    const ran = await dk(['run', '--rm', '--network', 'none', 'fromurl:1', '/bin/busybox', 'echo', 'url ok']);
    assert.deepEqual([ran.code, ran.stdout], [0, 'url ok\n']);
  } finally {
    server.close();
  }
  const far = await dk(['import', 'http://192.0.2.1/rootfs.tar', 'far:1']);
  assert.notEqual(far.code, 0);
  assert.match(far.stderr, /refused: berth imports only from loopback URLs/);
});

test('a malicious import tar (../ entry, symlink escape) is refused and leaves nothing behind', async () => {
  const outside = path.join(dir, 'outside');
  mkdirSync(outside);
  const images = async () => (await dk(['images', '-q', '--no-trunc'])).stdout.trim().split('\n').sort();
  const beforeImages = await images();
  const beforeState = imageState();
  const cases: Array<[string, LayerBuilder]> = [
    ['dotdot', new LayerBuilder().dir('ok').file('ok/f', 'fine').raw({ name: '../../escaped', type: 'file', mode: 0o644 }, 'x')],
    ['symlink', new LayerBuilder().symlink('link', outside).raw({ name: 'link/pwned', type: 'file', mode: 0o644 }, 'x')],
  ];
  for (const [name, layer] of cases) {
    const file = path.join(dir, `${name}.tar`);
    await pipeline(tarStream(layer.entries), createWriteStream(file));
    const imp = await dk(['import', file, `evil:${name}`]);
    assert.notEqual(imp.code, 0, `${name}: ${imp.stdout}`);
    assert.match(imp.stderr, /escapes the layer root|symlink/, name);
  }
  assert.equal(existsSync(path.join(outside, 'pwned')), false);
  assert.deepEqual(readdirSync(outside), []);
  assert.deepEqual(await images(), beforeImages);
  assert.deepEqual(imageState(), beforeState);
});

test('a committed image can be pushed to a real registry and pulled back', async () => {
  const target = `${s.registry.host}/committed:1`;
  assert.equal((await dk(['tag', 'committed:1', target])).code, 0);
  const push = await dk(['push', target]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /1: digest: sha256:[0-9a-f]{64} size: \d+/);
  const id = (await dk(['image', 'inspect', '-f', '{{.Id}}', 'committed:1'])).stdout.trim();
  assert.equal((await dk(['rmi', 'committed:1', target])).code, 0);
  const pull = await dk(['pull', target]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal((await dk(['image', 'inspect', '-f', '{{.Id}}', target])).stdout.trim(), id, 'the same config, so the same image id');
  const run = await dk(['run', '--rm', '--network', 'none', target, 'cat', '/new']);
  assert.deepEqual([run.code, run.stdout], [0, 'new\n']);
});
