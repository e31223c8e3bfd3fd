import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxImage, httpRequest, pushImage, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import type { image } from '@berth/proto';
import { pull, startStack, type Stack } from '../testing/stack.js';

const ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

describe('PushImage', () => {
  let stack: Stack;
  let other: RegistryFixture;
  let img: Image;
  let source: string;
  let sourceDigest: string;

  const push = async (reference: string): Promise<image.PushProgress[]> => {
    const out: image.PushProgress[] = [];
    for await (const p of stack.client.pushImage({ reference })) out.push(p);
    return out;
  };
  const lines = (progress: image.PushProgress[]) => progress.map((p) => (p.id ? `${p.id}: ${p.status}` : p.status));
  const remoteDigest = async (registry: RegistryFixture, repo: string, tag: string) => {
    const res = await httpRequest(`${registry.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
    assert.equal(res.status, 200, `${repo}:${tag} is not in the registry`);
    return res.headers['docker-content-digest'];
  };

  before(async () => {
    stack = await startStack();
    other = await startRegistry();
    img = await busyboxImage({ extraLayers: [(l) => l.file('etc/pushed', 'pushed\n')] });
    sourceDigest = await pushImage(stack.registry, 'src', 'v1', img);
    source = `${stack.registry.host}/src:v1`;
    await pull(stack.client, source);
  });
  after(async () => {
    await img?.dispose();
    await other?.stop();
    await stack?.stop();
  });

  it('pushes to another repository of the same registry by mounting the layers, byte for byte', async () => {
    const target = `${stack.registry.host}/dst:v1`;
    await stack.client.tagImage({ source, target });
    const progress = await push(target);
    const text = lines(progress);
    assert.equal(text[0], `The push refers to repository [${stack.registry.host}/dst]`);
    const layerLines = text.filter((l) => /^[0-9a-f]{12}: /.test(l));
    assert.equal(layerLines.filter((l) => l.endsWith(': Preparing')).length, 2);
    assert.equal(layerLines.filter((l) => l.endsWith(': Mounted from src')).length, 2, text.join('\n'));
    const last = progress.at(-1)!;
    assert.deepEqual(last.pushed, { tag: 'v1', digest: sourceDigest, size: last.pushed!.size });
    assert.equal(last.status, `v1: digest: ${sourceDigest} size: ${last.pushed!.size}`);
    assert.equal(await remoteDigest(stack.registry, 'dst', 'v1'), sourceDigest);
    const pushed = (await stack.client.getImage({ reference: target })).image!;
    assert.ok(pushed.repoDigests.includes(`${stack.registry.host}/dst@${sourceDigest}`), pushed.repoDigests.join(' '));
    assert.ok(stack.events.events.some((e) => e.Action === 'push' && e.Actor.ID === target));
  });

  it('uploads with byte progress to a registry that has nothing, then finds every layer there', async () => {
    const target = `${other.host}/copy:v1`;
    await stack.client.tagImage({ source, target });
    const first = await push(target);
    const pushing = first.filter((p) => p.status === 'Pushing' && p.total > 0);
    assert.ok(pushing.some((p) => p.current === p.total), 'a Pushing line reaches the total');
    assert.equal(lines(first).filter((l) => l.endsWith(': Pushed')).length, 2);
    assert.equal(await remoteDigest(other, 'copy', 'v1'), sourceDigest);

    const again = lines(await push(target));
    assert.equal(again.filter((l) => l.endsWith(': Layer already exists')).length, 2, again.join('\n'));
  });

  it('pushes every tag of a repository when no tag is given', async () => {
    await stack.client.tagImage({ source, target: `${other.host}/tags:a` });
    await stack.client.tagImage({ source, target: `${other.host}/tags:b` });
    const done = (await push(`${other.host}/tags`)).filter((p) => p.pushed).map((p) => p.pushed!.tag);
    assert.deepEqual(done, ['a', 'b']);
  });

  it('an unknown image is NOT_FOUND before any message', async () => {
    const seen: image.PushProgress[] = [];
    await assert.rejects(
      (async () => {
        for await (const p of stack.client.pushImage({ reference: `${other.host}/nothing:latest` })) seen.push(p);
      })(),
      (err: Error & { kind?: string }) => err.kind === 'not_found' && /An image does not exist locally with the tag: 127\.0\.0\.1:\d+\/nothing/.test(err.message),
    );
    assert.equal(seen.length, 0);
  });

  it('pushes a loaded image as the content store holds it: the archive\'s uncompressed layer tars', async () => {
    const fresh = await busyboxImage({ extraLayers: [(l) => l.file('etc/loaded', 'loaded\n')] });
    try {
      await pushImage(stack.registry, 'loadme', 'v1', fresh);
    } finally {
      await fresh.dispose();
    }
    const name = `${stack.registry.host}/loadme:v1`;
    await pull(stack.client, name);
    const parts: Buffer[] = [];
    for await (const c of stack.client.saveImages({ references: [name] })) parts.push(Buffer.from(c.data));
    await stack.client.removeImage({ reference: name, force: false, noPrune: false });
    const archive = Buffer.concat(parts);
    await stack.client.loadImages((async function* () {
      yield { data: archive };
    })());
    const target = `${other.host}/loaded:v1`;
    await stack.client.tagImage({ source: name, target });
    const progress = await push(target);
    const digest = progress.at(-1)!.pushed!.digest;
    const res = await httpRequest(`${other.url}/v2/loaded/manifests/${digest}`, { headers: { Accept: ACCEPT } });
    assert.equal(res.status, 200);
    const manifest = JSON.parse(res.body.toString()) as { layers: Array<{ mediaType: string; digest: string }> };
    assert.deepEqual(new Set(manifest.layers.map((l) => l.mediaType)), new Set(['application/vnd.docker.image.rootfs.diff.tar']));
    const config = JSON.parse(Buffer.from((await stack.client.getImage({ reference: target })).image!.config).toString()) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(manifest.layers.map((l) => l.digest), config.rootfs.diff_ids, 'uncompressed: blob digests are the diff IDs');
  });

  it('a layer missing from the content store (and from the registry) fails with a clear error', async () => {
    const target = `${other.host}/partial:v1`;
    const fresh = await busyboxImage({ extraLayers: [(l) => l.file('etc/partial', 'partial\n')] });
    try {
      await pushImage(stack.registry, 'partial', 'v1', fresh);
    } finally {
      await fresh.dispose();
    }
    await pull(stack.client, `${stack.registry.host}/partial:v1`);
    await stack.client.tagImage({ source: `${stack.registry.host}/partial:v1`, target });
    const record = (await stack.client.getImage({ reference: target })).image!;
    const manifest = JSON.parse(Buffer.from(record.config).toString()) as { rootfs: { diff_ids: string[] } };
    assert.equal(manifest.rootfs.diff_ids.length, 2);
    // The top layer's compressed blob: the only one the other registry lacks (busybox went there above).
    const layers = await listLayerDigests(stack, record.manifestDigest);
    await rm(path.join(stack.root, 'content', 'blobs', 'sha256', layers.at(-1)!.slice('sha256:'.length)));
    await assert.rejects(push(target), (err: Error & { kind?: string }) => err.kind === 'failed_precondition' && /is not in the local content store/.test(err.message));
  });
});

async function listLayerDigests(stack: Stack, manifestDigest: string): Promise<string[]> {
  const bytes = await readFile(path.join(stack.root, 'content', 'blobs', 'sha256', manifestDigest.slice('sha256:'.length)));
  return (JSON.parse(bytes.toString()) as { layers: Array<{ digest: string }> }).layers.map((l) => l.digest);
}
