import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInMemoryStack, type InMemoryStack } from './testing/in-memory-stack.js';

const DOCKER = '/usr/local/bin/docker';

/**
 * The stock docker CLI (v28) against the gateway, in front of in-memory services: what the CLI
 * parses of each answer (negotiation, info, the pull stream, attach, wait, inspect). The same
 * against the real services is in test/docker-cli.test.ts.
 */
describe('the docker CLI against the engine API', { skip: existsSync(DOCKER) ? false : `${DOCKER} is not installed` }, () => {
  let stack: InMemoryStack;
  let configDir: string;
  const docker = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        DOCKER,
        args,
        { env: { DOCKER_HOST: `unix://${stack.socketPath}`, DOCKER_CONFIG: configDir, PATH: '/usr/bin:/bin' }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  before(async () => {
    stack = await startInMemoryStack();
    configDir = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
  });
  after(async () => {
    await stack.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  test('version and info print without errors', async () => {
    const v = await docker('version');
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /Server: berth/);
    assert.match(v.stdout, /API version:\s+1\.45 \(minimum version 1\.24\)/);
    const info = await docker('info');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /Storage Driver: overlay2/);
    assert.match(info.stdout, /Cgroup Driver: cgroupfs/);
    assert.doesNotMatch(info.stderr, /error/i);
  });

  test('run of a missing image pulls it, attaches, and exits with the container\'s code', async () => {
    const run = await docker('run', '--name', 'first', 'hello-world', 'exit', '3');
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout, 'exit 3\n');
    assert.match(run.stderr, /Unable to find image 'hello-world:latest' locally/);
    assert.match(run.stderr, /Status: Downloaded newer image for hello-world:latest/);
    const rm = await docker('run', '--rm', 'hello-world', 'hi', 'err');
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'hi err\n');
    assert.equal(rm.stderr, 'err\n');
  });

  test('ps, logs, inspect, rm, images, tag, rmi', async () => {
    const ps = await docker('ps', '-a', '--format', '{{.Names}}|{{.Status}}|{{.Command}}');
    assert.match(ps.stdout, /^first\|Exited \(3\) .* ago\|"exit 3"$/m);
    const logs = await docker('logs', 'first');
    assert.equal(logs.stdout, 'exit 3\n');
    const inspect = await docker('inspect', '--format', '{{.Name}} {{.State.ExitCode}} {{.Config.Image}}', 'first');
    assert.equal(inspect.stdout.trim(), '/first 3 hello-world');
    assert.equal((await docker('rm', 'first')).code, 0);
    const images = await docker('images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}');
    assert.equal(images.stdout.trim(), 'hello-world:latest 13.3kB');
    assert.equal((await docker('tag', 'hello-world', 'localhost:5000/hw:v1')).code, 0);
    const rmi = await docker('rmi', 'localhost:5000/hw:v1');
    assert.equal(rmi.stdout.trim(), 'Untagged: localhost:5000/hw:v1');
    const missing = await docker('rm', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error response from daemon: No such container: nope/);
  });
});
