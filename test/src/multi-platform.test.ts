// Multi-platform images end to end (issue 7): an OCI index built here (linux/amd64 busybox + a
// synthetic linux/arm64 image) is copied to registry A with skopeo, pulled by berth, and pushed by
// the stock docker CLI (v28) and the berth CLI to registry B; skopeo, an independent client,
// reads what B holds. Also: load of an OCI archive holding an index, single-platform pushes, and
// the clear error when a platform's content is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '@berth/kit';
import { startRegistry, twoPlatformIndex, writeOciLayout, type ImageIndex, type RegistryFixture } from '@berth/fixtures';
import { api } from './harness/api.js';
import { startTestStack, type TestStack } from './harness/stack.js';
import { BERTH_CLI, DOCKER_CLI, type CliResult } from './harness/cli.js';

const SKOPEO = '/usr/bin/skopeo';

let s: TestStack;
let b: RegistryFixture;
let work: string;
let index: ImageIndex;
let source: string;

before(async () => {
  s = await startTestStack();
  b = await startRegistry();
  work = mkdtempSync(path.join(os.tmpdir(), 'berth-multi-'));
  index = await twoPlatformIndex('e2e');
  await writeOciLayout(path.join(work, 'layout'), index, 'v1');
  source = `${s.registry.host}/multi:v1`;
  await skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${path.join(work, 'layout')}:v1`, `docker://${source}`]);
});
after(async () => {
  await index?.dispose();
  await s?.stop();
  await b?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function skopeo(args: string[]): Promise<CliResult> {
  return runCommand(SKOPEO, args, { timeoutMs: 120_000, env: { PATH: process.env.PATH ?? '', HOME: work } });
}

/** The docker CLI at `apiVersion` (1.46 for `push --platform`), and the berth CLI; failures are returned, not thrown. */
const docker = (args: string[], apiVersion?: string) =>
  runCommand(DOCKER_CLI, args, {
    timeoutMs: 120_000,
    okCodes: [0, 1],
    env: { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${s.socket}`, DOCKER_CONFIG: work, HOME: work, ...(apiVersion && { DOCKER_API_VERSION: apiVersion }) },
  });
const berth = (args: string[]) => runCommand(process.execPath, [BERTH_CLI, ...args], { timeoutMs: 120_000, okCodes: [0, 1], env: { PATH: process.env.PATH ?? '', BERTH_HOST: `unix://${s.socket}`, HOME: work } });

interface RawDoc {
  mediaType: string;
  manifests?: Array<{ digest: string; platform: { os: string; architecture: string } }>;
}

/** What registry B serves for a tag (skopeo inspect --raw) and its digest. */
async function remote(ref: string): Promise<{ raw: RawDoc; digest: string }> {
  const raw = JSON.parse((await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout) as RawDoc;
  const digest = (JSON.parse((await skopeo(['inspect', '--tls-verify=false', '--no-tags', `docker://${ref}`])).stdout) as { Digest: string }).Digest;
  return { raw, digest };
}

/** Every blob of every platform is in B: skopeo copies the whole index out of it. */
async function copiesWhole(ref: string): Promise<void> {
  const out = path.join(work, `copy-${Math.random().toString(36).slice(2)}`);
  await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${ref}`, `dir:${out}`]);
  rmSync(out, { recursive: true, force: true });
}

const platforms = (raw: RawDoc) => (raw.manifests ?? []).map((m) => `${m.platform.os}/${m.platform.architecture}`).sort();

test('berth pull --all-platforms, then docker push: registry B holds the whole index', async () => {
  const pull = await berth(['pull', '--all-platforms', source]);
  assert.equal(pull.code, 0, pull.stderr);

  // inspect and images as before: the Id is the host platform's config, the RepoDigest the index.
  const inspect = await docker(['image', 'inspect', '--format', '{{.Id}} {{json .RepoDigests}} {{.Architecture}}', source]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal(inspect.stdout.trim(), `${index.images[0]!.config.digest} ${JSON.stringify([`${s.registry.host}/multi@${index.manifest.digest}`])} amd64`);
  const images = await docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', `${s.registry.host}/multi`]);
  assert.equal(images.stdout.trim(), `${source} ${index.images[0]!.config.digest.slice(7, 19)}`);

  const target = `${b.host}/copied/multi:v1`;
  assert.equal((await docker(['tag', source, target])).code, 0);
  const push = await docker(['push', target]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.match(push.stdout, new RegExp(`^v1: digest: ${index.manifest.digest} size: ${index.manifest.size}$`, 'm'));
  assert.match(push.stdout, /^[0-9a-f]{12}: Pushed$/m);

  const got = await remote(target);
  assert.equal(got.digest, index.manifest.digest);
  assert.equal(got.raw.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(platforms(got.raw), ['linux/amd64', 'linux/arm64']);
  await copiesWhole(target);
});

test('a default pull lacks the arm64 layers: push fails clearly and pushes nothing; --platform pushes one manifest', async () => {
  const other = await twoPlatformIndex('partial');
  try {
    await writeOciLayout(path.join(work, 'layout'), other, 'partial');
    const partial = `${s.registry.host}/partial:v1`;
    await skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${path.join(work, 'layout')}:partial`, `docker://${partial}`]);
    assert.equal((await docker(['pull', partial])).code, 0);

    const target = `${b.host}/partial:v1`;
    assert.equal((await docker(['tag', partial, target])).code, 0);
    const refused = await docker(['push', target]);
    assert.notEqual(refused.code, 0, refused.stdout);
    assert.match(refused.stderr + refused.stdout, /the content of platform linux\/arm64 is not in the local content store/);
    assert.match(refused.stderr + refused.stdout, /berth pull --all-platforms.*--platform linux\/amd64/);
    const absent = await runCommand(SKOPEO, ['inspect', '--raw', '--tls-verify=false', `docker://${target}`], { okCodes: [0, 1], env: { PATH: process.env.PATH ?? '', HOME: work } });
    assert.notEqual(absent.code, 0, 'nothing under the tag');

    // API 1.46's platform parameter, as the docker CLI sends it.
    const one = await docker(['push', '--platform', 'linux/amd64', target], '1.46');
    assert.equal(one.code, 0, one.stderr + one.stdout);
    const got = await remote(target);
    assert.equal(got.digest, other.images[0]!.manifest.digest);
    assert.equal(got.raw.mediaType, 'application/vnd.oci.image.manifest.v1+json');

    // The platform parameter is JSON (an OCI platform); anything else is a 400 before the stream.
    const bad = await api(s.socket, 'POST', `/v1.46/images/${b.host}/partial/push?tag=v1&platform=linux%2Famd64`);
    assert.equal(bad.status, 400);
    assert.match((bad.json as { message: string }).message, /invalid platform "linux\/amd64": not JSON/);

    const berthOne = await berth(['push', '--platform', 'linux/amd64', target]);
    assert.equal(berthOne.code, 0, berthOne.stderr);
    assert.match(berthOne.stdout, new RegExp(`v1: digest: ${other.images[0]!.manifest.digest}`));
    const wrong = await berth(['push', '--platform', 'linux/s390x', target]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /no suitable image manifest found for platform linux\/s390x/);
  } finally {
    await other.dispose();
  }
});

test('docker load of an OCI archive holding an index, then berth push: the whole index lands in B', async () => {
  const loaded = await twoPlatformIndex('loaded');
  try {
    const layout = path.join(work, 'load-layout');
    const name = `${b.host}/loaded:v1`;
    await writeOciLayout(layout, loaded, name);
    const archive = path.join(work, 'loaded.tar');
    await runCommand('/usr/bin/tar', ['-cf', archive, '-C', layout, '.']);
    const load = await docker(['load', '-i', archive]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, new RegExp(`Loaded image: ${name.replace(/\./g, '\\.')}`));

    const push = await berth(['push', name]);
    assert.equal(push.code, 0, push.stderr);
    const got = await remote(name);
    assert.equal(got.digest, loaded.manifest.digest);
    assert.deepEqual(platforms(got.raw), ['linux/amd64', 'linux/arm64']);
    await copiesWhole(name);
  } finally {
    await loaded.dispose();
  }
});
