// Images through the stock docker CLI (v28) and the berth CLI against a whole berth stack: pull
// --platform, images --digests, inspect, history, save | load, image prune -a, system df.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { busyboxIndex, pushImage } from '@berth/fixtures';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth, docker, DOCKER_CLI, BERTH_CLI } from './harness/cli.js';

let s: TestStack;
let dir: string;
let multi: string;
let indexDigest: string;

before(async () => {
  s = await startTestStack();
  dir = mkdtempSync(path.join(os.tmpdir(), 'berth-image-cli-'));
  const index = await busyboxIndex();
  try {
    indexDigest = await pushImage(s.registry, 'multi', 'latest', index);
  } finally {
    await index.dispose();
  }
  multi = `${s.registry.host}/multi`;
});
after(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `<from> | <to>`: two CLIs with the first one's stdout as the second one's stdin. */
function pipeline(from: [string, string[]], to: [string, string[]], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const a = spawn(from[0], from[1], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const b = spawn(to[0], to[1], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    a.stdout.pipe(b.stdin);
    let stdout = '';
    let stderr = '';
    a.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    b.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    b.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    a.on('error', reject);
    b.on('error', reject);
    b.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('docker pull --platform picks from a 3-platform index; images --digests, inspect and history show it', async () => {
  const pull = await docker(s.socket, ['pull', '--platform', 'linux/arm64/v8', multi]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, new RegExp(`Digest: ${indexDigest}`));
  const inspect = JSON.parse((await docker(s.socket, ['image', 'inspect', multi])).stdout) as Array<Record<string, unknown>>;
  const img = inspect[0]!;
  assert.equal(img['Architecture'], 'arm64');
  assert.equal(img['Variant'], 'v8');
  assert.equal(img['Os'], 'linux');
  assert.deepEqual(img['RepoTags'], [`${multi}:latest`]);
  assert.deepEqual(img['RepoDigests'], [`${multi}@${indexDigest}`]);
  assert.match(String((img['Metadata'] as { LastTagTime: string }).LastTagTime), /^20\d\d-/);
  assert.equal((img['RootFS'] as { Layers: string[] }).Layers.length, 1);

  const digests = await docker(s.socket, ['images', '--digests', multi]);
  assert.equal(digests.code, 0, digests.stderr);
  assert.match(digests.stdout, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/m);
  assert.match(digests.stdout, new RegExp(`${multi.replace(/[.]/g, '\\.')}\\s+latest\\s+${indexDigest}`));

  const history = await docker(s.socket, ['history', multi]);
  assert.equal(history.code, 0, history.stderr);
  const rows = history.stdout.trim().split('\n');
  assert.match(rows[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.match(rows[1]!, /^[0-9a-f]{12}\s+.*ADD busybox-static \/\s+\d/);

  const amd = await berth(s.socket, ['pull', '--platform', 'linux/amd64', multi]);
  assert.equal(amd.code, 0, amd.stderr);
  assert.match(amd.stdout, /Pull complete|Already exists/);
  const arch = await docker(s.socket, ['image', 'inspect', '--format', '{{.Architecture}}', multi]);
  assert.equal(arch.stdout.trim(), 'amd64');
});

test('docker save | docker load round trip, and the berth CLI save/load/history', async () => {
  assert.equal((await docker(s.socket, ['pull', s.busybox])).code, 0);
  const id = (await docker(s.socket, ['image', 'inspect', '--format', '{{.Id}}', s.busybox])).stdout.trim();
  const archive = path.join(dir, 'busybox.tar');
  const save = await docker(s.socket, ['save', '-o', archive, s.busybox]);
  assert.equal(save.code, 0, save.stderr);
  assert.ok(statSync(archive).size > 1_000_000);
  assert.equal((await docker(s.socket, ['rmi', s.busybox])).code, 0);
  const load = await docker(s.socket, ['load', '-i', archive]);
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout, new RegExp(`Loaded image: ${s.busybox.replace(/[.]/g, '\\.')}:latest`));
  assert.equal((await docker(s.socket, ['image', 'inspect', '--format', '{{.Id}}', s.busybox])).stdout.trim(), id);

  const env = { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${s.socket}`, HOME: dir, DOCKER_CONFIG: dir };
  const piped = await pipeline([DOCKER_CLI, ['save', s.busybox]], [DOCKER_CLI, ['load']], env);
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /Loaded image: /);
  const run = await docker(s.socket, ['run', '--rm', '--network', 'none', s.busybox, 'echo', 'loaded-runs']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'loaded-runs\n');

  const berthArchive = path.join(dir, 'berth.tar');
  assert.equal((await berth(s.socket, ['save', '-o', berthArchive, s.busybox])).code, 0);
  const berthLoad = await berth(s.socket, ['load', '-i', berthArchive]);
  assert.equal(berthLoad.code, 0, berthLoad.stderr);
  assert.match(berthLoad.stdout, /Loaded image: /);
  const piped2 = await pipeline([process.execPath, [BERTH_CLI, 'save', s.busybox]], [process.execPath, [BERTH_CLI, 'image', 'load']], { PATH: process.env.PATH ?? '', BERTH_HOST: `unix://${s.socket}` });
  assert.equal(piped2.code, 0, piped2.stderr);
  assert.match(piped2.stdout, /Loaded image: /);
  const history = await berth(s.socket, ['history', s.busybox]);
  assert.equal(history.code, 0, history.stderr);
  assert.match(history.stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n[0-9a-f]{12}/);
});

test('docker system df and image prune -a; berth system df and image prune', async () => {
  const run = await docker(s.socket, ['run', '-d', '--network', 'none', s.busybox, 'sh', '-c', 'head -c 100000 /dev/zero > /big; exec sleep 300']);
  assert.equal(run.code, 0, run.stderr);
  const cid = run.stdout.trim();
  const df = await docker(s.socket, ['system', 'df']);
  assert.equal(df.code, 0, df.stderr);
  assert.match(df.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/m);
  assert.match(df.stdout, /^Images\s+2\s+1\s+\S+/m);
  assert.match(df.stdout, /^Containers\s+1\s+1\s+/m);
  const verbose = await docker(s.socket, ['system', 'df', '-v']);
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.match(verbose.stdout, /SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS/);
  const ours = await berth(s.socket, ['system', 'df']);
  assert.equal(ours.code, 0, ours.stderr);
  assert.match(ours.stdout, /^Images\s+2\s+1\s+/m);

  const prune = await docker(s.socket, ['image', 'prune', '-a', '-f']);
  assert.equal(prune.code, 0, prune.stderr);
  assert.match(prune.stdout, /Deleted Images:/);
  assert.match(prune.stdout, /Total reclaimed space: /);
  // What is left is the image the container uses (multi's amd64 image is the same image: same config).
  const used = (await docker(s.socket, ['inspect', '--format', '{{.Image}}', cid])).stdout.trim();
  const left = await docker(s.socket, ['images', '--no-trunc', '--format', '{{.ID}}']);
  assert.deepEqual([...new Set(left.stdout.trim().split('\n'))], [used], 'the image the container uses stays');
  assert.equal((await docker(s.socket, ['rm', '-f', cid])).code, 0);
  const berthPrune = await berth(s.socket, ['image', 'prune', '-a', '-f']);
  assert.equal(berthPrune.code, 0, berthPrune.stderr);
  assert.match(berthPrune.stdout, /deleted: sha256:/);
  assert.equal((await docker(s.socket, ['images', '-q'])).stdout.trim(), '');
});
