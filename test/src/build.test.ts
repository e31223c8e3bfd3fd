// docker build (the classic builder API: DOCKER_BUILDKIT=0) and berth build against a whole
// berth stack: a multi-stage Dockerfile using most instructions, the build cache (a rebuild runs
// nothing; a changed file invalidates only the steps from it on), a failing RUN, and contexts
// that try to read host files.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tar from 'tar-stream';
import { startTestStack, type TestStack } from './harness/stack.js';
import { api } from './harness/api.js';
import { berth, docker, DOCKER_CLI } from './harness/cli.js';

let s: TestStack;
let dir: string;
let dockerConfig: string;
const testStart = Math.floor(Date.now() / 1000) - 1;

before(async () => {
  s = await startTestStack();
  dir = mkdtempSync(path.join(os.tmpdir(), 'berth-build-'));
  dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'berth-build-docker-config-'));
});
after(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
});

/** The stock docker CLI with the classic builder. */
function dockerBuild(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${s.socket}`, DOCKER_CONFIG: dockerConfig, HOME: dockerConfig, DOCKER_BUILDKIT: '0' };
    const child = spawn(DOCKER_CLI, ['build', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

function write(root: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
}

async function tarOf(entries: Array<{ name: string; body?: string; type?: 'file' | 'symlink' | 'directory'; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname! });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else pack.entry({ name: e.name, mode: 0o644 }, e.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Containers created since `since` (unix seconds), from the events API. */
async function containersCreatedSince(since: number): Promise<number> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['create'] }));
  const r = await api(s.socket, 'GET', `/events?since=${since}&until=${until}&filters=${filters}`);
  assert.equal(r.status, 200, r.text);
  return r.text.split('\n').filter((l) => l.trim() !== '').length;
}

const usingCache = (out: string) => out.split('\n').filter((l) => l.trim() === '---> Using cache').length;

const MULTI = (busybox: string) => `# a multi-stage build
ARG BASE=${busybox}
FROM \${BASE} AS builder
ARG GREETING=hello
WORKDIR /src
COPY greet.txt ./
RUN echo "$GREETING from the builder" > /src/built.txt \\
 && cat greet.txt >> /src/built.txt

FROM $BASE
LABEL org.example.suite="build" version=1
ENV APP_HOME=/app \\
    MODE=prod
ENV LEGACY value with spaces
WORKDIR $APP_HOME
COPY --from=builder /src/built.txt ./built.txt
COPY --chown=1000:1000 app/ ./app/
ADD bundle.tar /opt/
EXPOSE 8080 53/udp
VOLUME /data
HEALTHCHECK --interval=30s --retries=2 CMD true
STOPSIGNAL SIGUSR1
SHELL ["/bin/sh", "-ec"]
RUN test "$MODE" = prod && mkdir -p /data && echo ok > /app/run-ok
USER 1000:1000
CMD ["sh", "-c", "echo $MODE; echo $LEGACY; cat /app/built.txt; id -u; pwd; cat /app/app/a.txt; cat /opt/inner/file.txt; cat /app/run-ok; stat -c %u /app/app/a.txt"]
`;
// Steps: 1 FROM, 2 ARG, 3 WORKDIR, 4 COPY greet, 5 RUN | 6 FROM, 7 LABEL, 8 ENV, 9 ENV, 10 WORKDIR,
// 11 COPY --from, 12 COPY app, 13 ADD, 14 EXPOSE, 15 VOLUME, 16 HEALTHCHECK, 17 STOPSIGNAL, 18 SHELL,
// 19 RUN, 20 USER, 21 CMD.
const TOTAL = 21;

test('docker build: a multi-stage Dockerfile builds and its image runs with its CMD, ENV, USER, WORKDIR and files', async () => {
  const ctx = path.join(dir, 'multi');
  write(ctx, { Dockerfile: MULTI(s.busybox), 'greet.txt': 'greetings v1\n', 'app/a.txt': 'file a\n', '.dockerignore': 'secret.txt\n', 'secret.txt': 'no' });
  writeFileSync(path.join(ctx, 'bundle.tar'), await tarOf([{ name: 'inner/', type: 'directory' }, { name: 'inner/file.txt', body: 'from the tarball\n' }]));
  const built = await dockerBuild(['-t', 'built:multi', ctx]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.match(built.stdout, new RegExp(`Step 1/${TOTAL} : FROM \\$\\{BASE\\} AS builder`));
  assert.match(built.stdout, /Successfully built [0-9a-f]{12}/);
  assert.match(built.stdout, /Successfully tagged built:multi/);

  const run = await docker(s.socket, ['run', '--rm', 'built:multi']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), [
    'prod', 'value with spaces', 'hello from the builder', 'greetings v1', '1000', '/app', 'file a', 'from the tarball', 'ok', '1000',
  ]);
  const [img] = JSON.parse((await docker(s.socket, ['image', 'inspect', 'built:multi'])).stdout) as Array<{ Config: Record<string, unknown> }>;
  const c = img!.Config;
  assert.equal(c['User'], '1000:1000');
  assert.equal(c['WorkingDir'], '/app');
  assert.equal(c['StopSignal'], 'SIGUSR1');
  assert.deepEqual(c['Shell'], ['/bin/sh', '-ec']);
  assert.ok((c['Env'] as string[]).includes('APP_HOME=/app'));
  assert.ok((c['Env'] as string[]).includes('LEGACY=value with spaces'));
  assert.deepEqual(Object.keys(c['ExposedPorts'] as object).sort(), ['53/udp', '8080/tcp']);
  assert.deepEqual(Object.keys(c['Volumes'] as object), ['/data']);
  assert.deepEqual((c['Labels'] as Record<string, string>)['org.example.suite'], 'build');
  assert.deepEqual((c['Healthcheck'] as { Test: string[] }).Test, ['CMD-SHELL', 'true']);
  const ignored = await docker(s.socket, ['run', '--rm', 'built:multi', 'ls', '/app']);
  assert.doesNotMatch(ignored.stdout, /secret/);
});

test('docker build: a rebuild is served from the cache (no container), a changed file invalidates only the steps from it on', async () => {
  const ctx = path.join(dir, 'multi');
  const firstId = (await docker(s.socket, ['image', 'inspect', '-f', '{{.Id}}', 'built:multi'])).stdout.trim();
  const createdBefore = await containersCreatedSince(testStart);
  const again = await dockerBuild(['-t', 'built:multi', ctx]);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal(usingCache(again.stdout), TOTAL - 2, again.stdout); // every step but the two FROMs
  assert.doesNotMatch(again.stdout, /Running in/);
  assert.equal((await docker(s.socket, ['image', 'inspect', '-f', '{{.Id}}', 'built:multi'])).stdout.trim(), firstId);
  assert.equal(await containersCreatedSince(testStart), createdBefore, 'a cached build creates no container');

  write(ctx, { 'greet.txt': 'greetings v2\n' });
  const changed = await dockerBuild(['-t', 'built:multi', ctx]);
  assert.equal(changed.code, 0, changed.stdout + changed.stderr);
  // Cached: ARG, WORKDIR (builder); LABEL, ENV, ENV, WORKDIR (final). Not: COPY greet.txt, its RUN, and all after COPY --from.
  assert.equal(usingCache(changed.stdout), 6, changed.stdout);
  const step = (n: number) => changed.stdout.split(/\nStep /).find((b) => b.startsWith(`${n}/${TOTAL}`)) ?? '';
  assert.match(step(3), /Using cache/);
  assert.doesNotMatch(step(4), /Using cache/);
  assert.match(step(10), /Using cache/);
  assert.doesNotMatch(step(11), /Using cache/);
  const run = await docker(s.socket, ['run', '--rm', 'built:multi', 'cat', '/app/built.txt']);
  assert.equal(run.stdout, 'hello from the builder\ngreetings v2\n');

  const noCache = await dockerBuild(['--no-cache', '-t', 'built:nocache', ctx]);
  assert.equal(noCache.code, 0, noCache.stdout + noCache.stderr);
  assert.equal(usingCache(noCache.stdout), 0);
});

test('docker build: a failing RUN reports its exit code and output, and leaves no image or container', async () => {
  const ctx = path.join(dir, 'fail');
  write(ctx, { Dockerfile: `FROM ${s.busybox}\nRUN echo about to fail && exit 3\nCMD ["true"]\n` });
  const imagesBefore = (await docker(s.socket, ['images', '-a', '-q'])).stdout;
  const createdBefore = await containersCreatedSince(testStart);
  const r = await dockerBuild(['-t', 'built:fail', ctx]);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /about to fail/);
  assert.match(r.stderr, /The command '\/bin\/sh -c echo about to fail && exit 3' returned a non-zero code: 3/);
  assert.equal((await docker(s.socket, ['images', '-a', '-q'])).stdout, imagesBefore);
  assert.equal((await docker(s.socket, ['ps', '-a', '-q'])).stdout, '');
  assert.equal(await containersCreatedSince(testStart), createdBefore + 1, 'the RUN container was made, and removed');
});

test('build contexts cannot read host files: .. sources, symlinks out of the context, .. in the tar', async () => {
  const ctx = path.join(dir, 'escape');
  write(ctx, { Dockerfile: `FROM ${s.busybox}\nCOPY passwd /stolen\n` });
  symlinkSync('/etc/passwd', path.join(ctx, 'passwd'));
  const viaLink = await dockerBuild(['-t', 'built:escape', ctx]);
  assert.notEqual(viaLink.code, 0);
  assert.match(viaLink.stderr, /file not found in build context/);

  write(ctx, { Dockerfile: `FROM ${s.busybox}\nCOPY hostetc/passwd /stolen\n` });
  symlinkSync('/etc', path.join(ctx, 'hostetc'));
  const viaDir = await dockerBuild(['-t', 'built:escape', ctx]);
  assert.notEqual(viaDir.code, 0);
  assert.match(viaDir.stderr, /file not found in build context/);

  write(ctx, { Dockerfile: `FROM ${s.busybox}\nCOPY ../x /x\n` });
  const dotdot = await dockerBuild(['-t', 'built:escape', ctx]);
  assert.notEqual(dotdot.code, 0);
  assert.match(dotdot.stderr, /forbidden path outside the build context: \.\.\/x/);

  const evil = await tarOf([{ name: 'Dockerfile', body: `FROM ${s.busybox}\n` }, { name: '../../evil-from-build', body: 'x' }]);
  const r = await api(s.socket, 'POST', '/build?t=built:evil', evil.toString('latin1'), { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 400, r.text);
  assert.match(r.text, /escapes the layer root/);
  assert.equal((await docker(s.socket, ['images', '-q', 'built:escape'])).stdout, '');
});

test('parse errors name the line; berth build builds with -f, --build-arg and --target', async () => {
  const ctx = path.join(dir, 'berth');
  write(ctx, {
    Dockerfile: `FROM ${s.busybox}\nRUN true\nBOGUS x\n`,
    'other.Dockerfile': `ARG BASE\nFROM $BASE AS first\nARG WHO\nRUN echo "hi $WHO" > /who\nFROM first AS second\nCMD ["cat", "/who"]\nFROM second\nRUN false\n`,
  });
  const bad = await dockerBuild([ctx]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Dockerfile parse error line 3: unknown instruction: BOGUS/);

  const b = await berth(s.socket, ['build', '-t', 'built:berth', '-f', path.join(ctx, 'other.Dockerfile'), '--build-arg', `BASE=${s.busybox}`, '--build-arg', 'WHO=berth', '--target', 'second', ctx], { timeoutMs: 120_000 });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.match(b.stdout, /Step 1\/5 : FROM \$BASE AS first/);
  assert.match(b.stdout, /Successfully tagged built:berth/);
  const run = await docker(s.socket, ['run', '--rm', 'built:berth']);
  assert.equal(run.stdout, 'hi berth\n');
  const q = await berth(s.socket, ['build', '-q', '-f', path.join(ctx, 'other.Dockerfile'), '--build-arg', `BASE=${s.busybox}`, '--build-arg', 'WHO=berth', '--target', 'second', ctx], { timeoutMs: 120_000 });
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
});

test('docker build: COPY keeps the metadata of existing parent directories and copies into an existing directory; intermediate images are hidden from docker images but not -a', async () => {
  const ctx = path.join(dir, 'parents');
  write(ctx, {
    Dockerfile: `FROM ${s.busybox}\nCOPY f.txt /tmp/x/\nCOPY f.txt /etc\nCMD ["sh", "-c", "stat -c '%a %U' /tmp /etc; cat /etc/f.txt /tmp/x/f.txt"]\n`,
    'f.txt': 'copied\n',
  });
  const built = await dockerBuild(['-t', 'built:parents', ctx]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const run = await docker(s.socket, ['run', '--rm', 'built:parents']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), ['1777 root', '755 root', 'copied', 'copied']);

  // Steps 2–4 each made an image; the first two are untagged parents of the next.
  const ids = [...built.stdout.matchAll(/^ ---> ([0-9a-f]{12})$/gm)].map((m) => m[1]!);
  const [, copyTmp, copyEtc, final] = ids;
  assert.ok(copyTmp && copyEtc && final, built.stdout);
  const listed = (await docker(s.socket, ['images', '-q'])).stdout;
  const all = (await docker(s.socket, ['images', '-a', '-q'])).stdout;
  for (const id of [copyTmp, copyEtc]) {
    assert.doesNotMatch(listed, new RegExp(id), `intermediate ${id} is not listed without -a`);
    assert.match(all, new RegExp(id), `intermediate ${id} is listed with -a`);
  }
  assert.match(listed, new RegExp(final));
  const parent = (await docker(s.socket, ['image', 'inspect', '-f', '{{.Parent}}', 'built:parents'])).stdout.trim();
  assert.match(parent, new RegExp(`^sha256:${copyEtc}`));
});

test('docker build: FROM scratch with config instructions only makes an image', async () => {
  const ctx = path.join(dir, 'scratch-config');
  write(ctx, { Dockerfile: 'FROM scratch\nLABEL only=config\nCMD ["/nothing"]\n' });
  const built = await dockerBuild(['-t', 'built:scratch-config', ctx]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const [img] = JSON.parse((await docker(s.socket, ['image', 'inspect', 'built:scratch-config'])).stdout) as Array<{ Config: { Labels: Record<string, string>; Cmd: string[] } }>;
  assert.deepEqual(img!.Config.Labels, { only: 'config' });
  assert.deepEqual(img!.Config.Cmd, ['/nothing']);
});
