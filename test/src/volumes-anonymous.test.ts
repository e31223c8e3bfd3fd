// Volumes through the stock docker CLI as Docker makes them: named volumes keep data across
// containers; `-v /path`, `--mount type=volume` without a source and an image's VOLUME make an
// anonymous volume (64-hex name) that gets the image's files at that path (copy-up), shows in
// `volume ls` and in inspect's Mounts, and goes with `rm -v` and `--rm` (named ones stay).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { startTestStack, type TestStack } from './harness/stack.js';
import { docker } from './harness/cli.js';

let s: TestStack;
const dk = (args: string[]) => docker(s.socket, args);
/** docker … that must succeed: its stdout. */
async function ok(args: string[]): Promise<string> {
  const r = await dk(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const volumeNames = async (): Promise<string[]> => (await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort();
const volumeDirs = (): string[] => readdirSync(path.join(s.root, 'state', 'runtime', 'volumes')).sort();

interface MountPoint { Type: string; Name?: string; Source: string; Destination: string; Driver?: string; RW: boolean }
const mountsOf = async (ref: string): Promise<MountPoint[]> => JSON.parse(await ok(['inspect', '-f', '{{json .Mounts}}', ref])) as MountPoint[];
const HEX64 = /^[0-9a-f]{64}$/;

before(async () => {
  s = await startTestStack();
  await ok(['pull', '-q', s.busybox]);
});
after(async () => {
  await s?.stop();
});

test('a named volume keeps its data across containers, and --rm leaves it', async () => {
  await ok(['run', '--rm', '--network', 'none', '-v', 'keep:/data', s.busybox, 'sh', '-c', 'echo kept > /data/f']);
  assert.equal(await ok(['run', '--rm', '--network', 'none', '-v', 'keep:/data:ro', s.busybox, 'cat', '/data/f']), 'kept\n');
  assert.deepEqual(await volumeNames(), ['keep']);
  await ok(['volume', 'rm', 'keep']);
  assert.deepEqual(volumeDirs(), []);
});

test('docker run -v /vol: an anonymous volume in volume ls and inspect; rm keeps it, rm -v and prune take it', async () => {
  await ok(['run', '--name', 'anon1', '--network', 'none', '-v', '/vol', s.busybox, 'sh', '-c', 'echo a > /vol/f']);
  const [m, ...others] = await mountsOf('anon1');
  assert.deepEqual(others, []);
  assert.equal(m!.Type, 'volume');
  assert.match(m!.Name!, HEX64);
  assert.equal(m!.Destination, '/vol');
  assert.equal(m!.Driver, 'local');
  assert.equal(m!.RW, true);
  assert.equal(m!.Source, path.join(s.root, 'state', 'runtime', 'volumes', m!.Name!, '_data'));
  assert.equal((await ok(['inspect', '-f', '{{json .Config.Volumes}} {{json .HostConfig.Binds}}', 'anon1'])).trim(), '{"/vol":{}} null');
  assert.deepEqual(await volumeNames(), [m!.Name!]);
  assert.equal((await ok(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}}', m!.Name!])).trim(), `${m!.Name!} local`);
  // The data is in the volume: another container reads it by name (a named use: its --rm keeps it).
  assert.equal(await ok(['run', '--rm', '--network', 'none', '-v', `${m!.Name!}:/x`, s.busybox, 'cat', '/x/f']), 'a\n');
  const inUse = await dk(['volume', 'rm', m!.Name!]);
  assert.match(inUse.stderr, /volume is in use/);
  await ok(['rm', '-v', 'anon1']);
  assert.deepEqual(await volumeNames(), [], 'rm -v takes the anonymous volume');

  await ok(['create', '--name', 'anon2', '--network', 'none', '-v', '/vol', '--mount', 'type=volume,dst=/m', s.busybox, 'true']);
  const made = (await mountsOf('anon2')).map((p) => p.Name!);
  assert.equal(made.length, 2);
  for (const name of made) assert.match(name, HEX64);
  await ok(['rm', 'anon2']);
  assert.deepEqual(await volumeNames(), [...made].sort(), 'rm without -v keeps them, as Docker');
  const pruned = await ok(['volume', 'prune', '-f']);
  for (const name of made) assert.match(pruned, new RegExp(name));
  assert.deepEqual(await volumeNames(), []);
  assert.deepEqual(volumeDirs(), []);
});

test('--rm takes the anonymous volumes (given and the image\'s) but not the named ones', async () => {
  await ok(['run', '--rm', '--network', 'none', '-v', '/vol', '-v', 'stays:/n', s.busybox, 'sh', '-c', 'echo x > /vol/f; echo y > /n/f']);
  assert.deepEqual(await volumeNames(), ['stays'], 'the docker CLI returned: the anonymous volume is gone already');
  await ok(['run', '-d', '--rm', '--network', 'none', '-v', '/vol', s.busybox, 'true']);
  // A detached --rm container goes by itself: wait for it (and its volume) to be gone.
  const deadline = Date.now() + 10_000;
  while ((await volumeNames()).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await volumeNames(), ['stays']);
  await ok(['volume', 'rm', 'stays']);
  assert.deepEqual(volumeDirs(), []);
});

test('an image VOLUME: an anonymous volume with the image\'s files (owner and mode) copied up; an empty named one too', async () => {
  await ok(['run', '--name', 'seedsrc', '--network', 'none', s.busybox, 'sh', '-c',
    'mkdir /seed && echo from-image > /seed/f && chown 1000:1000 /seed && chmod 750 /seed']);
  await ok(['commit', '-c', 'VOLUME /seed', 'seedsrc', 'seeded:1']);
  await ok(['rm', 'seedsrc']);
  assert.equal((await ok(['image', 'inspect', '-f', '{{json .Config.Volumes}}', 'seeded:1'])).trim(), '{"/seed":{}}');

  const out = await ok(['run', '--name', 'v1', '--network', 'none', 'seeded:1', 'sh', '-c', 'cat /seed/f; stat -c "%u %a" /seed; echo changed > /seed/f']);
  assert.equal(out, 'from-image\n1000 750\n');
  const [m] = await mountsOf('v1');
  assert.equal(m!.Type, 'volume');
  assert.match(m!.Name!, HEX64);
  assert.equal(m!.Destination, '/seed');
  // The volume keeps what the container wrote; a later start does not copy the image's files over it.
  await ok(['start', '-a', 'v1']);
  assert.equal(await ok(['run', '--rm', '--network', 'none', '-v', `${m!.Name!}:/x`, s.busybox, 'cat', '/x/f']), 'changed\n');

  // A new, empty named volume at the image's VOLUME gets the copy-up too (and no anonymous one is made).
  assert.equal(await ok(['run', '--rm', '--network', 'none', '-v', 'seedvol:/seed', 'seeded:1', 'cat', '/seed/f']), 'from-image\n');
  assert.deepEqual(await volumeNames(), [m!.Name!, 'seedvol'].sort());
  // nocopy: the empty volume stays empty.
  assert.equal(await ok(['run', '--rm', '--network', 'none', '-v', 'bare:/seed:nocopy', 'seeded:1', 'ls', '-A', '/seed']), '');

  await ok(['rm', '-v', 'v1']);
  await ok(['volume', 'rm', 'seedvol', 'bare']);
  assert.deepEqual(await volumeNames(), []);
  assert.deepEqual(volumeDirs(), []);
  await ok(['rmi', 'seeded:1']);
});
