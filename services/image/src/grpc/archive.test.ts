import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { busyboxImage, pushImage, tempDir, type Image, type TempDir } from '@berth/fixtures';
import { pull, startStack, type Stack } from '../testing/stack.js';

const run = promisify(execFile);
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const extract = tar.extract();
  Readable.from([bytes]).pipe(extract as unknown as NodeJS.WritableStream);
  for await (const e of extract) {
    const parts: Buffer[] = [];
    for await (const c of e) parts.push(c as Buffer);
    out.set(e.header.name, Buffer.concat(parts));
  }
  return out;
}

describe('SaveImages and LoadImages', () => {
  let stack: Stack;
  let dir: TempDir;
  let img: Image;
  let ref: string;
  let saved: Buffer;

  const save = async (...references: string[]) => {
    const parts: Buffer[] = [];
    for await (const c of stack.client.saveImages({ references })) parts.push(Buffer.from(c.data));
    return Buffer.concat(parts);
  };
  const load = (bytes: Buffer) =>
    stack.client.loadImages(
      (async function* () {
        for (let i = 0; i < bytes.length; i += 100_000) yield { data: bytes.subarray(i, i + 100_000) };
      })(),
    );

  before(async () => {
    stack = await startStack();
    dir = tempDir('berth-archive-');
    img = await busyboxImage({ extraLayers: [(l) => l.file('etc/saved', 'saved and loaded\n')] });
    await pushImage(stack.registry, 'saveme', 'v1', img);
    ref = `${stack.registry.host}/saveme:v1`;
    await pull(stack.client, ref);
    saved = await save(ref);
    await writeFile(path.join(dir.path, 'saved.tar'), saved);
  });
  after(async () => {
    await img?.dispose();
    await dir?.cleanup();
    await stack?.stop();
  });

  it('saves a docker-archive that is also an OCI layout', async () => {
    const files = await untar(saved);
    const [entry] = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
    assert.deepEqual(entry!.RepoTags, [ref]);
    assert.equal(entry!.Config, `blobs/sha256/${img.config.digest.slice(7)}`);
    assert.ok(files.get(entry!.Config)!.equals(img.config.bytes!));
    assert.deepEqual(entry!.Layers.map((l) => `sha256:${l.split('/').pop()}`), img.layers.map((l) => l.diffId));
    for (const l of entry!.Layers) assert.equal(sha(files.get(l)!), `sha256:${l.split('/').pop()}`, 'layer tars are uncompressed, named by diff ID');
    assert.deepEqual(JSON.parse(files.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
    assert.equal(index.manifests[0]!.annotations['io.containerd.image.name'], ref);
    assert.ok(files.has(`blobs/sha256/${index.manifests[0]!.digest.slice(7)}`));
    assert.deepEqual(JSON.parse(files.get('repositories')!.toString()), { [`${stack.registry.host}/saveme`]: { v1: img.layers[1]!.diffId.slice(7) } });
    assert.ok(stack.events.events.some((e) => e.Action === 'save' && e.Actor.ID === img.config.digest));
  });

  it('is readable by skopeo as docker-archive and as oci-archive', async () => {
    const archive = path.join(dir.path, 'saved.tar');
    const docker = JSON.parse((await run('skopeo', ['inspect', `docker-archive:${archive}`])).stdout) as { Layers: string[]; Architecture: string };
    assert.equal(docker.Layers.length, 2);
    assert.equal(docker.Architecture, 'amd64');
    const oci = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci-archive:${archive}:v1`])).stdout) as { config: { digest: string } };
    assert.equal(oci.config.digest, img.config.digest);
  });

  it('loads what it saved, after the image was removed, plain and gzip-compressed', async () => {
    for (const bytes of [saved, gzipSync(saved)]) {
      await stack.client.removeImage({ reference: ref, force: true, noPrune: false });
      const res = await load(bytes);
      assert.deepEqual(res.messages, [`Loaded image: ${ref}`]);
      assert.equal(res.images[0]!.id, img.config.digest);
      const { image } = await stack.client.getImage({ reference: ref });
      assert.deepEqual(image!.diffIds, img.layers.map((l) => l.diffId));
    }
    assert.ok(stack.events.events.some((e) => e.Action === 'load' && e.Actor.ID === img.config.digest));
    // The loaded layers hold the files: a container snapshot sees them.
    const { mounts } = await stack.client.prepareSnapshot({ key: 'loaded', image: ref });
    const lower = mounts[0]!.options.find((o) => o.startsWith('lowerdir='))!.slice('lowerdir='.length).split(':');
    assert.equal(await readFile(path.join(lower[0]!, 'etc/saved'), 'utf8'), 'saved and loaded\n');
    await stack.client.removeSnapshot({ key: 'loaded' });
  });

  it('loads docker-archive and oci-archive files written by skopeo', async () => {
    const src = `docker://${ref}`;
    const dockerArchive = path.join(dir.path, 'skopeo-docker.tar');
    const ociArchive = path.join(dir.path, 'skopeo-oci.tar');
    await run('skopeo', ['copy', '-q', '--src-tls-verify=false', src, `docker-archive:${dockerArchive}:skopeo/docker:v1`]);
    await run('skopeo', ['copy', '-q', '--src-tls-verify=false', src, `oci-archive:${ociArchive}:localhost/skopeo-oci:v2`]);
    const d = await load(await readFile(dockerArchive));
    assert.deepEqual(d.messages, ['Loaded image: skopeo/docker:v1']);
    const o = await load(await readFile(ociArchive));
    assert.deepEqual(o.messages, ['Loaded image: localhost/skopeo-oci:v2']);
    for (const r of [d, o]) assert.equal(r.images[0]!.id, img.config.digest);
  });

  it('names untagged images by id, moves a tag as Docker does, and refuses junk', async () => {
    const byId = await save(img.config.digest);
    await stack.client.tagImage({ source: ref, target: 'moved:latest' });
    const other = await busyboxImage({ extraLayers: [(l) => l.file('other', 'o')] });
    try {
      await pushImage(stack.registry, 'other', 'latest', other);
      await pull(stack.client, `${stack.registry.host}/other`);
      await stack.client.tagImage({ source: `${stack.registry.host}/other`, target: 'moved:latest' });
      const moved = await save('moved');
      await stack.client.tagImage({ source: ref, target: 'moved:latest' });
      const res = await load(moved);
      assert.deepEqual(res.messages, [`The image moved:latest already exists, renaming the old one with ID ${img.config.digest} to empty string`, 'Loaded image: moved:latest']);
    } finally {
      await other.dispose();
    }
    assert.deepEqual((await load(byId)).messages, [`Loaded image ID: ${img.config.digest}`]);
    await assert.rejects(load(Buffer.from('not a tar at all, just text'.repeat(40))), { kind: 'invalid_argument' });
  });
});
