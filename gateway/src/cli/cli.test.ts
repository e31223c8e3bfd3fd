import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './cli.js';
import type { Output } from './command.js';
import { startInMemoryStack, type InMemoryStack } from '../server/testing/in-memory-stack.js';

function capture(): Output & { text: () => string } {
  let text = '';
  return { isTTY: false, columns: 80, write: (t) => void (text += typeof t === 'string' ? t : Buffer.from(t).toString()), text: () => text };
}

describe('the berth CLI against the gateway (in-memory services)', () => {
  let stack: InMemoryStack;
  const berth = async (...argv: string[]) => {
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(argv, { env: { BERTH_HOST: `unix://${stack.socketPath}` }, stdout, stderr, onSignal: () => () => undefined });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };
  before(async () => {
    stack = await startInMemoryStack();
  });
  after(() => stack.close());

  test('run pulls a missing image, streams stdout and stderr, returns the exit code, --rm removes', async () => {
    const run = await berth('run', '--rm', 'hello-world', 'exit', '5', 'err');
    assert.equal(run.code, 5, run.stderr);
    assert.equal(run.stdout, 'exit 5 err\n');
    assert.match(run.stderr, /^Unable to find image 'hello-world:latest' locally\nlatest: Pulling from library\/hello-world\n/);
    assert.match(run.stderr, /err\n$/);
    assert.equal(stack.runtime.containers.size, 0);
  });

  test('run -d prints the id; ps, logs, stop, rm', async () => {
    const run = await berth('run', '-d', '--name', 'bg', 'hello-world', 'sleep', '60');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^[0-9a-f]{64}\n$/);
    const ps = await berth('ps');
    assert.match(ps.stdout, /^CONTAINER ID   IMAGE         COMMAND      CREATED\s+STATUS\s+PORTS     NAMES\n/);
    assert.match(ps.stdout, /hello-world   "sleep 60"   .* ago\s+Up .*bg\n$/);
    assert.equal((await berth('ps', '-q')).stdout, run.stdout.slice(0, 12) + '\n');
    assert.equal((await berth('stop', 'bg')).stdout, 'bg\n');
    assert.equal((await berth('ps')).stdout.split('\n').length, 2, 'only the header is left');
    assert.equal((await berth('rm', 'bg')).code, 0);
  });

  test('images, inspect, errors', async () => {
    const images = await berth('images');
    assert.match(images.stdout, /^REPOSITORY    TAG       IMAGE ID       CREATED       SIZE\nhello-world   latest    111111111111   .* ago   13.3kB\n$/);
    const inspect = await berth('inspect', 'hello-world');
    assert.equal(JSON.parse(inspect.stdout)[0].Id, 'sha256:' + '1'.repeat(64));
    const missing = await berth('stop', 'nope');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error response from daemon: No such container: nope\n');
    const badRun = await berth('run', '--name', 'xx', 'nothere');
    assert.equal(badRun.code, 125);
    assert.match(badRun.stderr, /Error response from daemon: pull access denied/);
    assert.equal((await berth('ps', '--bogus')).code, 125);
  });

  test('a daemon that is not there', async () => {
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(['ps'], { env: { BERTH_HOST: 'unix:///nonexistent/berth.sock' }, stdout, stderr, onSignal: () => () => undefined });
    assert.equal(code, 1);
    assert.equal(stderr.text(), 'Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is the berth daemon running?\n');
  });
});
