// Push, login and logout through the gateway: the stock docker CLI (v28) and the berth CLI against a
// whole berth stack, pushing to real docker-registry instances (one open, one behind htpasswd).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '@berth/kit';
import { httpRequest, startRegistry, type RegistryFixture } from '@berth/fixtures';
import { startTokenAuthProxy, type TokenAuthProxy } from '@berth/registry/testing';
import { startTestStack, type TestStack } from './harness/stack.js';
import { BERTH_CLI, DOCKER_CLI, type CliResult } from './harness/cli.js';

const USER = 'alice';
const PASSWORD = 's3cret-pw';

let s: TestStack;
let open: RegistryFixture;
let locked: RegistryFixture;
let tokens: TokenAuthProxy;
let dockerHome: string;
let berthHome: string;

before(async () => {
  s = await startTestStack();
  open = await startRegistry();
  locked = await startRegistry({ htpasswd: { user: USER, password: PASSWORD } });
  // Docker's token auth (Bearer realm, Basic credentials at the token endpoint) in front of `open`.
  tokens = await startTokenAuthProxy(open.host, { user: USER, password: PASSWORD });
  dockerHome = mkdtempSync(path.join(os.tmpdir(), 'berth-push-docker-'));
  berthHome = mkdtempSync(path.join(os.tmpdir(), 'berth-push-berth-'));
});
after(async () => {
  await s?.stop();
  await tokens?.close();
  await open?.stop();
  await locked?.stop();
  for (const dir of [dockerHome, berthHome]) if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], env: Record<string, string>, input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** The docker CLI with its own config dir (credentials of this test only). */
const docker = (args: string[], input?: string) =>
  run(DOCKER_CLI, args, { DOCKER_HOST: `unix://${s.socket}`, DOCKER_CONFIG: dockerHome, HOME: dockerHome }, input);
/** The berth CLI with HOME in a temp dir: `berth login` writes ~/.docker/config.json there. */
const berth = (args: string[], input?: string) => run(process.execPath, [BERTH_CLI, ...args], { BERTH_HOST: `unix://${s.socket}`, HOME: berthHome }, input);

/** The manifest digest the registry serves for a tag, and its config digest (skopeo, an independent client). */
async function inspectRemote(ref: string, auth?: string): Promise<{ digest: string; layers: string[] }> {
  const argv = ['inspect', '--tls-verify=false', ...(auth ? ['--creds', auth] : []), `docker://${ref}`];
  const { stdout } = await runCommand('/usr/bin/skopeo', argv, { timeoutMs: 60_000 });
  const json = JSON.parse(stdout) as { Digest: string; Layers: string[] };
  return { digest: json.Digest, layers: json.Layers };
}

const DIGEST_LINE = (tag: string) => new RegExp(`^${tag}: digest: (sha256:[0-9a-f]{64}) size: \\d+$`, 'm');

test('docker push: an image pulled from one registry, tagged for another, lands there; again: "Layer already exists"', async () => {
  assert.equal((await docker(['pull', s.busybox])).code, 0);
  const target = `${open.host}/copied/busybox:v1`;
  assert.equal((await docker(['tag', s.busybox, target])).code, 0);

  const push = await docker(['push', target]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.match(push.stdout, new RegExp(`The push refers to repository \\[${open.host}/copied/busybox\\]`));
  assert.match(push.stdout, /^[0-9a-f]{12}: Pushed$/m);
  const digest = DIGEST_LINE('v1').exec(push.stdout)?.[1];
  assert.ok(digest, push.stdout);

  // The registry has it, byte for byte what berth pulled: the same digest as the source's.
  const remote = await inspectRemote(target);
  assert.equal(remote.digest, digest);
  assert.equal((await inspectRemote(s.busybox)).digest, digest);
  const head = await httpRequest(`${open.url}/v2/copied/busybox/manifests/v1`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(head.status, 200);
  assert.equal(head.headers['docker-content-digest'], digest);

  // Docker records the pushed RepoDigest.
  const inspect = await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', target]);
  assert.ok((JSON.parse(inspect.stdout) as string[]).includes(`${open.host}/copied/busybox@${digest}`), inspect.stdout);

  const again = await docker(['push', target]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^[0-9a-f]{12}: Layer already exists$/m);
  assert.doesNotMatch(again.stdout, /Pushed/);
  assert.equal(DIGEST_LINE('v1').exec(again.stdout)?.[1], digest);
});

test('docker push of an image berth does not have is a 404 before any stream', async () => {
  const push = await docker(['push', `${open.host}/nothing-here:latest`]);
  assert.notEqual(push.code, 0);
  assert.match(push.stderr, /An image does not exist locally with the tag: 127\.0\.0\.1:\d+\/nothing-here/);
});

test('docker login: a wrong password fails clearly, the right one stores credentials and push then works', async () => {
  const target = `${locked.host}/private/busybox:latest`;
  assert.equal((await docker(['tag', s.busybox, target])).code, 0);

  const anonymous = await docker(['push', target]);
  assert.notEqual(anonymous.code, 0, anonymous.stdout);
  assert.match(anonymous.stderr + anonymous.stdout, /unauthorized/i);

  const wrong = await docker(['login', '-u', USER, '--password-stdin', locked.host], 'not-the-password\n');
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /unauthorized|incorrect username or password/i);

  const right = await docker(['login', '-u', USER, '--password-stdin', locked.host], `${PASSWORD}\n`);
  assert.equal(right.code, 0, right.stderr);
  assert.match(right.stdout, /Login Succeeded/);
  const config = JSON.parse(readFileSync(path.join(dockerHome, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(config.auths[locked.host]!.auth, 'base64').toString(), `${USER}:${PASSWORD}`);

  const push = await docker(['push', target]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  const digest = DIGEST_LINE('latest').exec(push.stdout)?.[1];
  assert.equal((await inspectRemote(target, `${USER}:${PASSWORD}`)).digest, digest);

  const logout = await docker(['logout', locked.host]);
  assert.equal(logout.code, 0, logout.stderr);
  const after = await docker(['push', target]);
  assert.notEqual(after.code, 0);
  assert.match(after.stderr + after.stdout, /unauthorized/i);
});

test('berth login / push / pull / logout against the htpasswd registry', async () => {
  const target = `${locked.host}/berthy:v2`;
  assert.equal((await berth(['tag', s.busybox, target])).code, 0);

  const denied = await berth(['push', target]);
  assert.equal(denied.code, 1, denied.stdout);
  assert.match(denied.stderr, /unauthorized/i);

  const wrong = await berth(['login', '-u', USER, '--password-stdin', locked.host], 'nope\n');
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /^Error response from daemon: .*(unauthorized|incorrect username or password)/im);

  const login = await berth(['login', '-u', USER, '--password-stdin', locked.host], `${PASSWORD}\n`);
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.stdout, 'Login Succeeded\n');
  const file = path.join(berthHome, '.docker', 'config.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const config = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(config.auths[locked.host]!.auth, 'base64').toString(), `${USER}:${PASSWORD}`);

  const push = await berth(['push', target]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, new RegExp(`The push refers to repository \\[${locked.host}/berthy\\]`));
  assert.match(push.stdout, /^[0-9a-f]{12}: (Pushed|Layer already exists|Mounted from private\/busybox)$/m);
  const digest = DIGEST_LINE('v2').exec(push.stdout)?.[1];
  assert.equal((await inspectRemote(target, `${USER}:${PASSWORD}`)).digest, digest);

  // Pull sends the stored credentials too.
  assert.equal((await berth(['rmi', target])).code, 0);
  const pull = await berth(['pull', target]);
  assert.equal(pull.code, 0, pull.stderr);

  const logout = await berth(['logout', locked.host]);
  assert.equal(logout.stdout, `Removing login credentials for ${locked.host}\n`);
  assert.equal((await berth(['logout', locked.host])).stdout, `Not logged in to ${locked.host}\n`);
  const after = await berth(['push', target]);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /unauthorized/i);
});

test('docker login and push against a registry with Bearer token auth', async () => {
  const target = `${tokens.host}/token-app:v3`;
  assert.equal((await docker(['tag', s.busybox, target])).code, 0);
  const wrong = await docker(['login', '-u', USER, '--password-stdin', tokens.host], 'wrong\n');
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /unauthorized|incorrect username or password/i);
  const right = await docker(['login', '-u', USER, '--password-stdin', tokens.host], `${PASSWORD}\n`);
  assert.equal(right.code, 0, right.stderr);
  assert.match(right.stdout, /Login Succeeded/);
  const push = await docker(['push', target]);
  assert.equal(push.code, 0, push.stderr + push.stdout);
  assert.ok(DIGEST_LINE('v3').exec(push.stdout), push.stdout);
  const scopes = tokens.tokenRequests.flatMap((q) => q.getAll('scope'));
  assert.ok(scopes.includes('repository:token-app:pull,push'), scopes.join(' '));
  assert.equal((await docker(['logout', tokens.host])).code, 0);
});
