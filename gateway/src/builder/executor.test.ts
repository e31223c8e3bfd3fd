import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import type { ArchivedPath, BuildBackend, BuiltImage, HistoryStep, ImagePathInfo, RunSpec } from './build-backend.js';
import { BuildCache } from './build-cache.js';
import { BuildExecutor, type BuildRequest } from './executor.js';
import { ImagePaths } from './image-paths.js';
import { parseDockerfile } from './dockerfile/parser.js';
import type { ContainerConfig } from './image-config.js';

interface FakeImage extends BuiltImage {
  parent?: string;
  layer?: Array<{ name: string; type: string; uid: number; mode: number; body: string }>;
  history: HistoryStep;
}

/** Images in memory; RUN "executes" through `onRun` (exit code + output). */
class FakeBackend implements BuildBackend {
  images = new Map<string, FakeImage>([['sha256:base', { id: 'sha256:base', config: { Env: ['PATH=/bin'], Cmd: ['sh'] }, history: { createdBy: 'base' } }]]);
  tags = new Map<string, string>();
  runs: RunSpec[] = [];
  removed: string[] = [];
  /** What every image's filesystem has (statPaths), by absolute path; the paths asked for. */
  paths = new Map<string, ImagePathInfo>();
  statted: string[] = [];
  private n = 0;
  constructor(private readonly onRun: (spec: RunSpec) => { code: number; output?: string } = () => ({ code: 0 })) {}

  private add(parent: string | undefined, config: ContainerConfig, history: HistoryStep, layer?: FakeImage['layer']): FakeImage {
    const id = `sha256:${createHash('sha256').update(String(++this.n)).digest('hex')}`;
    const img: FakeImage = { id, config: JSON.parse(JSON.stringify(config)) as ContainerConfig, history, ...(parent && { parent }), ...(layer && { layer }) };
    this.images.set(id, img);
    return img;
  }
  lookups: string[] = [];
  async findImage(ref: string) {
    this.lookups.push(ref);
    return this.images.get(this.tags.get(ref) ?? (ref === 'busybox' ? 'sha256:base' : ref));
  }
  async pullImage(): Promise<BuiltImage> {
    throw new Error('no pulls here');
  }
  async runContainer(spec: RunSpec, io: { created(id: string): void; output(chunk: string): void }) {
    this.runs.push(spec);
    io.created(`c${this.runs.length}`.padEnd(64, '0'));
    const r = this.onRun(spec);
    if (r.output) io.output(r.output);
    return r.code;
  }
  async commitContainer(_id: string, parent: string, config: ContainerConfig, history: HistoryStep) {
    return this.add(parent, config, history, []);
  }
  async removeContainer(id: string) {
    this.removed.push(id);
  }
  async commitConfig(parent: string | undefined, config: ContainerConfig, history: HistoryStep) {
    return this.add(parent, config, history);
  }
  async importLayer(parent: string | undefined, config: ContainerConfig, history: HistoryStep, data: AsyncIterable<Uint8Array>) {
    const layer: NonNullable<FakeImage['layer']> = [];
    const extract = tar.extract();
    Readable.from(data).pipe(extract as unknown as NodeJS.WritableStream);
    for await (const e of extract) {
      let body = '';
      for await (const c of e) body += (c as Buffer).toString();
      layer.push({ name: e.header.name, type: e.header.type ?? 'file', uid: e.header.uid ?? 0, mode: e.header.mode ?? 0, body });
    }
    return this.add(parent, config, history, layer);
  }
  async statPaths(_image: string, paths: readonly string[]) {
    this.statted.push(...paths);
    return new Map(paths.map((p) => [p, this.paths.get(p)]));
  }
  async archivePath(image: string, p: string): Promise<ArchivedPath> {
    const file = [...(this.images.get(image)?.layer ?? [])].find((l) => `/${l.name}` === p);
    if (!file) throw new Error(`no ${p} in ${image}`);
    const pack = tar.pack();
    pack.entry({ name: path.basename(p), mode: file.mode }, file.body);
    pack.finalize();
    return { isDirectory: false, name: path.basename(p), tar: pack as unknown as AsyncIterable<Uint8Array> };
  }
  async tagImage(id: string, tag: string) {
    this.tags.set(tag, id);
  }
  async drain() {}
}

function setup(files: Record<string, string>) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-executor-'));
  const context = path.join(root, 'context');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(context, name)), { recursive: true });
    writeFileSync(path.join(context, name), content);
  }
  mkdirSync(context, { recursive: true });
  const cache = new BuildCache(path.join(root, 'builder'));
  return { root, context, cache, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

async function build(backend: BuildBackend, cache: BuildCache, context: string, dockerfile: string, extra: Partial<BuildRequest> = {}) {
  let out = '';
  let aux = '';
  const id = await new BuildExecutor(backend, cache).build(
    { dockerfile: parseDockerfile(dockerfile), contextDir: context, tags: [], noCache: false, buildArgs: {}, labels: {}, networkMode: 'bridge', platform: '', ...extra },
    { stream: (t) => (out += t), aux: (i) => (aux = i) },
  );
  assert.equal(aux, id);
  return { id, out, image: (backend as FakeBackend).images.get(id)! };
}

test('config instructions build the config with substitution; each step is an image with its history', async () => {
  const t = setup({});
  try {
    const backend = new FakeBackend();
    const df = [
      'FROM busybox',
      'ARG VERSION=1.0',
      'ENV APP=/opt/app NAME="my app" PATH=$PATH:/opt/bin',
      'ENV OLD=$APP NEXT=${VERSION:-none}',
      'WORKDIR $APP',
      'WORKDIR sub',
      'USER ${USERNAME:-nobody}',
      'LABEL version=$VERSION "quoted key"=yes',
      'EXPOSE 80 8000-8001/udp',
      'VOLUME ["/data"]',
      'STOPSIGNAL SIGINT',
      'HEALTHCHECK --interval=10s CMD ["true"]',
      'SHELL ["/bin/bash", "-c"]',
      'ENTRYPOINT ["/entry"]',
      'CMD run --fast',
    ].join('\n');
    const { image, out } = await build(backend, t.cache, t.context, df);
    const c = image.config;
    assert.deepEqual(c.Env, ['PATH=/bin:/opt/bin', 'APP=/opt/app', 'NAME=my app', 'OLD=/opt/app', 'NEXT=1.0']);
    assert.equal(c.WorkingDir, '/opt/app/sub');
    assert.equal(c.User, 'nobody');
    assert.deepEqual(c.Labels, { version: '1.0', 'quoted key': 'yes' });
    assert.deepEqual(Object.keys(c.ExposedPorts!).sort(), ['80/tcp', '8000/udp', '8001/udp']);
    assert.deepEqual(Object.keys(c.Volumes!), ['/data']);
    assert.equal(c.StopSignal, 'SIGINT');
    assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'], Interval: 10e9 });
    assert.deepEqual(c.Entrypoint, ['/entry']);
    assert.deepEqual(c.Cmd, ['/bin/bash', '-c', 'run --fast']);
    assert.match(out, /^Step 1\/15 : FROM busybox\n ---> base\n/);
    assert.match(out, /Step 15\/15 : CMD run --fast\n ---> [0-9a-f]{12}\n/);
    assert.match(image.history.createdBy, /^\/bin\/sh -c #\(nop\) {2}CMD \["\/bin\/bash","-c","run --fast"\]$/);
    assert.equal(backend.images.size, 1 + 14, 'one image per step');
  } finally {
    t.cleanup();
  }
});

test('ENTRYPOINT resets an inherited CMD but keeps one set in the stage', async () => {
  const t = setup({});
  try {
    const backend = new FakeBackend();
    assert.equal((await build(backend, t.cache, t.context, 'FROM busybox\nENTRYPOINT ["/e"]\n')).image.config.Cmd, null);
    assert.deepEqual((await build(backend, t.cache, t.context, 'FROM busybox\nCMD ["x"]\nENTRYPOINT ["/e"]\n')).image.config.Cmd, ['x']);
  } finally {
    t.cleanup();
  }
});

test('RUN: shell form through the stage SHELL, env with ARGs in effect, history prefix, cache keyed by build args', async () => {
  const t = setup({});
  try {
    const backend = new FakeBackend(() => ({ code: 0, output: 'ran\n' }));
    const df = 'FROM busybox\nARG TOKEN\nARG LEVEL=3\nENV LEVEL=4\nUSER 1:2\nWORKDIR /w\nRUN echo $TOKEN\nRUN ["/bin/true", "x"]\n';
    const first = await build(backend, t.cache, t.context, df, { buildArgs: { TOKEN: 'abc', HTTP_PROXY: 'http://proxy:3128', UNUSED: 'x' } });
    assert.equal(backend.runs.length, 2);
    const [r1, r2] = backend.runs;
    assert.deepEqual(r1!.argv, ['/bin/sh', '-c', 'echo $TOKEN']);
    assert.deepEqual(r1!.env, ['PATH=/bin', 'LEVEL=4', 'HTTP_PROXY=http://proxy:3128', 'TOKEN=abc']);
    assert.equal(r1!.user, '1:2');
    assert.equal(r1!.workingDir, '/w');
    assert.equal(r1!.networkMode, 'bridge');
    assert.deepEqual(r2!.argv, ['/bin/true', 'x']);
    assert.match(first.out, / ---> Running in c1\d*\nran\n ---> Removed intermediate container c1/);
    assert.match(first.out, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
    assert.equal(first.image.history.createdBy, '|1 TOKEN=abc /bin/true x', 'proxy args stay out of the history');
    assert.equal(backend.removed.length, 2);

    const again = await build(backend, t.cache, t.context, df, { buildArgs: { TOKEN: 'abc', HTTP_PROXY: 'http://proxy:3128' } });
    assert.equal(backend.runs.length, 2, 'a rebuild runs nothing');
    assert.equal(again.id, first.id);
    assert.equal(again.out.match(/ ---> Using cache\n/g)?.length, 7);

    await build(backend, t.cache, t.context, df, { buildArgs: { TOKEN: 'other', HTTP_PROXY: 'http://proxy:3128' } });
    assert.equal(backend.runs.length, 4, 'another build arg value runs the RUN steps again');
    await build(backend, t.cache, t.context, df, { buildArgs: { TOKEN: 'abc', HTTP_PROXY: 'http://proxy:3128' }, noCache: true });
    assert.equal(backend.runs.length, 6, '--no-cache runs everything');
  } finally {
    t.cleanup();
  }
});

test('a failing RUN: Docker\'s message with the exit code, the container removed, no image made', async () => {
  const t = setup({});
  try {
    const backend = new FakeBackend(() => ({ code: 7, output: 'boom\n' }));
    const before = backend.images.size;
    let out = '';
    await assert.rejects(
      new BuildExecutor(backend, t.cache).build(
        { dockerfile: parseDockerfile('FROM busybox\nRUN false && x\n'), contextDir: t.context, tags: ['x'], noCache: false, buildArgs: {}, labels: {}, networkMode: 'none', platform: '' },
        { stream: (s) => (out += s), aux: () => undefined },
      ),
      /The command '\/bin\/sh -c false && x' returned a non-zero code: 7/,
    );
    assert.match(out, /boom/);
    assert.equal(backend.removed.length, 1);
    assert.equal(backend.images.size, before);
    assert.equal(backend.tags.size, 0);
  } finally {
    t.cleanup();
  }
});

test('COPY: files, directories, wildcards, --chown/--chmod, WORKDIR-relative destinations; a changed file invalidates only from there', async () => {
  const t = setup({ 'a.txt': 'A', 'b.txt': 'B', 'dir/x': 'X', 'dir/sub/y': 'Y', 'notes.md': 'N' });
  try {
    const backend = new FakeBackend();
    const df = 'FROM busybox\nWORKDIR /app\nCOPY a.txt .\nCOPY --chown=5:6 --chmod=0600 *.txt /multi/\nCOPY dir /d\nRUN true\nCOPY notes.md rel/\n';
    const first = await build(backend, t.cache, t.context, df);
    const layers = [...backend.images.values()].filter((i) => i.layer && i.layer.length > 0).map((i) => i.layer!);
    assert.deepEqual(layers[0]!.map((e) => [e.name, e.body, e.uid]), [['app/a.txt', 'A', 0]]);
    assert.deepEqual(layers[1]!.map((e) => [e.name, e.uid, e.mode]), [['multi/a.txt', 5, 0o600], ['multi/b.txt', 5, 0o600]]);
    assert.deepEqual(layers[2]!.map((e) => [e.name, e.type]), [['d/sub', 'directory'], ['d/sub/y', 'file'], ['d/x', 'file']]);
    assert.deepEqual(layers[3]!.map((e) => e.name), ['app/rel/notes.md']);
    assert.match(first.image.history.createdBy, /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/app\/rel\/ $/);

    writeFileSync(path.join(t.context, 'dir/x'), 'X2');
    const changed = await build(backend, t.cache, t.context, df);
    const steps = changed.out.split(/(?=Step )/);
    assert.deepEqual(steps.map((s) => s.includes('Using cache')), [false, true, true, true, false, false, false]);
    assert.equal(backend.runs.length, 2);
  } finally {
    t.cleanup();
  }
});

test('COPY refuses sources outside the context and never follows a symlink out of it', async () => {
  const t = setup({ 'inside.txt': 'in' });
  try {
    symlinkSync('/etc/passwd', path.join(t.context, 'passwd'));
    symlinkSync('/inside.txt', path.join(t.context, 'abs-link'));
    const backend = new FakeBackend();
    await assert.rejects(build(backend, t.cache, t.context, 'FROM busybox\nCOPY ../x /x\n'), /forbidden path outside the build context: \.\.\/x/);
    await assert.rejects(build(backend, t.cache, t.context, 'FROM busybox\nCOPY passwd /x\n'), /file not found in build context/);
    await assert.rejects(build(backend, t.cache, t.context, 'FROM busybox\nADD https://example.com/x /x\n'), /remote URL/);
    const ok = await build(backend, t.cache, t.context, 'FROM busybox\nCOPY abs-link /copied\n');
    assert.deepEqual(ok.image.parent && backend.images.get(ok.id)!.layer!.map((e) => [e.name, e.body]), [['copied', 'in']], 'an absolute link resolves inside the context');
  } finally {
    t.cleanup();
  }
});

test('multi-stage: COPY --from a stage, FROM a stage, --target stops early, meta ARGs in FROM, --label, tags', async () => {
  const t = setup({ 'src.txt': 'source' });
  try {
    const backend = new FakeBackend();
    const df = 'ARG BASE=busybox\nFROM $BASE AS one\nCOPY src.txt /built\nFROM one AS two\nENV STAGE=two\nFROM ${BASE}\nCOPY --from=one /built /final\nCOPY --from=0 /built /again\n';
    const full = await build(backend, t.cache, t.context, df, { tags: ['app:1', 'app:latest'], labels: { team: 'core' } });
    const layer = backend.images.get(full.id)!;
    assert.deepEqual(full.image.config.Labels, { team: 'core' });
    assert.equal(backend.tags.get('app:1'), full.id);
    assert.match(full.out, /Successfully tagged app:1\nSuccessfully tagged app:latest\n$/);
    const copies = [...backend.images.values()].filter((i) => i.layer?.some((e) => e.name === 'final' || e.name === 'again'));
    assert.deepEqual(copies.map((i) => i.layer!.map((e) => [e.name, e.body])), [[['final', 'source']], [['again', 'source']]]);
    assert.ok(layer);
    const target = await build(backend, t.cache, t.context, df, { target: 'two' });
    assert.deepEqual(target.image.config.Env, ['PATH=/bin', 'STAGE=two']);
    assert.match(target.out, /Step 1\/4 : FROM \$BASE AS one/);
    await assert.rejects(build(backend, t.cache, t.context, df, { target: 'nope' }), /failed to reach build target nope/);
  } finally {
    t.cleanup();
  }
});

test('ADD extracts a local tar archive into the destination', async () => {
  const t = setup({});
  try {
    const pack = tar.pack();
    pack.entry({ name: 'top/' , type: 'directory', mode: 0o755 });
    pack.entry({ name: 'top/f.txt', mode: 0o640, uid: 7 }, 'inner');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
    writeFileSync(path.join(t.context, 'bundle.tar'), Buffer.concat(chunks));
    const backend = new FakeBackend();
    const r = await build(backend, t.cache, t.context, 'FROM busybox\nADD bundle.tar /opt/\nCOPY bundle.tar /raw.tar\n');
    const images = [...backend.images.values()].filter((i) => i.layer && i.layer.length > 0);
    assert.deepEqual(images[0]!.layer!.map((e) => [e.name, e.body, e.uid]), [['opt/top', '', 0], ['opt/top/f.txt', 'inner', 7]]);
    assert.deepEqual(images[1]!.layer!.map((e) => e.name), ['raw.tar'], 'COPY does not extract');
    assert.ok(r.id);
  } finally {
    t.cleanup();
  }
});

test('COPY carries the directories above its destination as the image has them, and copies into an existing directory named without a slash', async () => {
  const t = setup({ 'a.txt': 'A', 'dir/x': 'X' });
  try {
    const backend = new FakeBackend();
    const when = new Date('2020-01-02T03:04:05Z');
    backend.paths.set('/tmp', { type: 'directory', mode: 0o1777, uid: 0, gid: 0, mtime: when });
    backend.paths.set('/home', { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: when });
    backend.paths.set('/home/app', { type: 'directory', mode: 0o750, uid: 1000, gid: 1000, mtime: when });
    backend.paths.set('/srv', { type: 'directory', mode: 0o700, uid: 0, gid: 0, mtime: when });
    backend.paths.set('/link', { type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: when, linkTarget: '/srv' });
    const layerOf = async (df: string) => (await build(backend, t.cache, t.context, `FROM busybox\n${df}\n`)).image.layer!.map((e) => [e.name, e.type, e.mode.toString(8), e.uid]);
    assert.deepEqual(await layerOf('COPY a.txt /tmp/x/'), [['tmp', 'directory', '1777', 0], ['tmp/x/a.txt', 'file', '644', 0]]);
    assert.deepEqual(await layerOf('COPY --chown=5 --chmod=600 a.txt /home/app/a'), [
      ['home', 'directory', '755', 0],
      ['home/app', 'directory', '750', 1000],
      ['home/app/a', 'file', '600', 5],
    ]);
    assert.deepEqual(await layerOf('COPY a.txt /srv'), [['srv', 'directory', '700', 0], ['srv/a.txt', 'file', '644', 0]], 'an existing directory is copied into');
    assert.deepEqual(await layerOf('COPY dir /srv'), [['srv', 'directory', '700', 0], ['srv/x', 'file', '644', 0]]);
    assert.deepEqual(await layerOf('COPY a.txt /link/a'), [['srv', 'directory', '700', 0], ['srv/a', 'file', '644', 0]], 'the symlink is followed');
    assert.deepEqual(await layerOf('COPY a.txt /new/a'), [['new/a', 'file', '644', 0]]);

    const statted = backend.statted.length;
    const again = await build(backend, t.cache, t.context, 'FROM busybox\nCOPY a.txt /srv\n');
    assert.match(again.out, /Using cache/);
    assert.equal(backend.statted.length, statted, 'a cache hit looks at nothing in the image');
  } finally {
    t.cleanup();
  }
});

test('FROM scratch: every config step is an image with no layer, also before the first COPY', async () => {
  const t = setup({ 'a.txt': 'A' });
  try {
    const backend = new FakeBackend();
    const chain = (id: string) => {
      const out: FakeImage[] = [];
      for (let i = backend.images.get(id); i; i = i.parent ? backend.images.get(i.parent) : undefined) out.unshift(i);
      return out;
    };
    const r = await build(backend, t.cache, t.context, 'FROM scratch\nLABEL a=b\nENV X=1\nCMD ["/x"]\n');
    assert.deepEqual(r.image.config.Labels, { a: 'b' });
    assert.deepEqual(r.image.config.Env, ['X=1']);
    assert.deepEqual(r.image.config.Cmd, ['/x']);
    assert.deepEqual(
      chain(r.id).map((i) => [i.history.createdBy, i.layer]),
      [
        ['/bin/sh -c #(nop)  LABEL a=b', undefined],
        ['/bin/sh -c #(nop)  ENV X=1', undefined],
        ['/bin/sh -c #(nop)  CMD ["/x"]', undefined],
      ],
      'one image per step, none with a layer, the first on nothing',
    );
    const again = await build(backend, t.cache, t.context, 'FROM scratch\nLABEL a=b\nENV X=1\nCMD ["/x"]\n');
    assert.equal(again.id, r.id, 'cached');

    const copied = await build(backend, t.cache, t.context, 'FROM scratch\nLABEL a=b\nCOPY a.txt /\nCMD ["/a.txt"]\n');
    assert.deepEqual(
      chain(copied.id).map((i) => [i.history.createdBy.replace(/[0-9a-f]{64}/, 'H'), i.layer?.map((e) => e.name)]),
      [
        ['/bin/sh -c #(nop)  LABEL a=b', undefined],
        ['/bin/sh -c #(nop) COPY file:H in / ', ['a.txt']],
        ['/bin/sh -c #(nop)  CMD ["/a.txt"]', undefined],
      ],
    );
    assert.equal(chain(copied.id)[0]!.id, chain(r.id)[0]!.id, 'the LABEL step on scratch is the cached one');
    await assert.rejects(build(backend, t.cache, t.context, 'FROM scratch\n'), /No image was generated/);
  } finally {
    t.cleanup();
  }
});

test('COPY into a destination under a symlink of the image follows it inside the image', async () => {
  const t = setup({ 'a.txt': 'A', 'dir/x': 'X' });
  try {
    const backend = new FakeBackend();
    const dir = (mode = 0o755) => ({ type: 'directory' as const, mode, uid: 0, gid: 0, mtime: new Date(0) });
    const link = (linkTarget: string) => ({ type: 'symlink' as const, mode: 0o777, uid: 0, gid: 0, mtime: new Date(0), linkTarget });
    // What the runtime reports: a link's target resolved inside the image, paths below a link seen through it.
    backend.paths.set('/app', link('/srv/app'));
    backend.paths.set('/srv', dir(0o750));
    backend.paths.set('/srv/app', dir(0o700));
    backend.paths.set('/app/sub', dir(0o711));
    backend.paths.set('/srv/app/sub', dir(0o711));
    backend.paths.set('/opt', dir());
    backend.paths.set('/opt/cur', link('/srv/app'));
    backend.paths.set('/gone', link('/nowhere/deep'));
    backend.paths.set('/up', link('/'));
    const layerOf = async (df: string) => (await build(backend, t.cache, t.context, `FROM busybox\n${df}\n`)).image.layer!.map((e) => [e.name, e.type, e.mode.toString(8)]);
    assert.deepEqual(await layerOf('COPY a.txt /app/'), [['srv', 'directory', '750'], ['srv/app', 'directory', '700'], ['srv/app/a.txt', 'file', '644']]);
    assert.deepEqual(await layerOf('COPY a.txt /app'), [['srv', 'directory', '750'], ['srv/app', 'directory', '700'], ['srv/app/a.txt', 'file', '644']], 'a link to a directory is copied into');
    assert.deepEqual(await layerOf('COPY dir /opt/cur/'), [['srv', 'directory', '750'], ['srv/app', 'directory', '700'], ['srv/app/x', 'file', '644']], 'a link deeper down');
    assert.deepEqual(await layerOf('COPY a.txt /app/sub/b.txt'), [
      ['srv', 'directory', '750'],
      ['srv/app', 'directory', '700'],
      ['srv/app/sub', 'directory', '711'],
      ['srv/app/sub/b.txt', 'file', '644'],
    ]);
    assert.deepEqual(await layerOf('COPY a.txt /gone/'), [['nowhere/deep/a.txt', 'file', '644']], 'a dangling link: its target is made');
    assert.deepEqual(await layerOf('COPY a.txt /up/'), [['a.txt', 'file', '644']], 'a link to the root');
  } finally {
    t.cleanup();
  }
});

test('what COPY learnt of an image filesystem is reused across config steps and builds (images are immutable)', async () => {
  const t = setup({ 'a.txt': 'A' });
  try {
    const backend = new FakeBackend();
    backend.paths.set('/tmp', { type: 'directory', mode: 0o1777, uid: 0, gid: 0, mtime: new Date(0) });
    const executor = new BuildExecutor(backend, t.cache, new ImagePaths());
    const run = (df: string) =>
      executor.build(
        { dockerfile: parseDockerfile(df), contextDir: t.context, tags: [], noCache: false, buildArgs: {}, labels: {}, networkMode: 'none', platform: '' },
        { stream: () => undefined, aux: () => undefined },
      );
    await run('FROM busybox\nENV A=1\nCOPY a.txt /tmp/x\n');
    assert.deepEqual(backend.statted, ['/tmp', '/tmp/x']);
    const id = await run('FROM busybox\nENV A=2\nWORKDIR /w\nCOPY a.txt /tmp/x\n');
    assert.deepEqual(backend.statted, ['/tmp', '/tmp/x'], 'the base image was looked at once');
    assert.deepEqual(backend.images.get(id)!.layer!.map((e) => [e.name, e.mode.toString(8)]), [['tmp', '1777'], ['tmp/x', '644']]);
    await run('FROM busybox\nENV A=2\nWORKDIR /w\nCOPY a.txt /tmp/x\nCOPY a.txt /tmp/y/\n');
    assert.deepEqual(backend.statted, ['/tmp', '/tmp/x', '/tmp/y'], 'after a COPY, only what it may have changed is asked again');
  } finally {
    t.cleanup();
  }
});

test('a run of cache hits is checked once, by its newest image; a hit whose image is gone is dropped and the build starts again', async () => {
  const t = setup({});
  try {
    const backend = new FakeBackend();
    const df = 'FROM busybox\nENV A=1\nRUN x\nCMD ["y"]\n';
    const first = await build(backend, t.cache, t.context, df);
    assert.equal(backend.runs.length, 1);
    backend.lookups = [];
    const cached = await build(backend, t.cache, t.context, df);
    assert.equal(cached.id, first.id);
    assert.deepEqual(backend.lookups, ['busybox', first.id], 'the base, then the newest hit only (an image with a child cannot be removed)');

    backend.images.delete(first.id);
    const again = await build(backend, t.cache, t.context, df);
    assert.match(again.out, /The cached image [0-9a-f]{12} is gone: building again/);
    assert.equal(backend.runs.length, 1, 'the hits below it were checked one by one and used');
    assert.notEqual(again.id, first.id);
    assert.equal(backend.images.get(again.id)!.parent, first.image.parent);
    const third = await build(backend, t.cache, t.context, df);
    assert.equal(third.id, again.id);
    assert.doesNotMatch(third.out, /gone/);
  } finally {
    t.cleanup();
  }
});
