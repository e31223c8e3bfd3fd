import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorKind } from '@berth/kit';
import type { runtime } from '@berth/proto';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { OutputCollector, RequestQueue } from '../testing/stdio-client.js';
import { until } from '../testing/until.js';

const kind = (k: string, text?: RegExp) => (err: unknown) => {
  assert.equal(errorKind(err), k, String(err));
  if (text) assert.match((err as Error).message, text);
  return true;
};

describe('exec (runc exec under conmon)', () => {
  let h: RuntimeHarness;
  let box: string;
  before(async () => {
    h = await RuntimeHarness.create();
    box = await h.run({ cmd: ['sleep', '3600'], env: ['FROM_CONTAINER=1'], workingDir: '/home' }, 'box');
  });
  after(async () => {
    await h?.cleanup();
  });

  it('runs a command: stdout and stderr apart, exit code, env, user, working dir', async () => {
    const r = await h.exec(box, ['sh', '-c', 'echo out; echo err >&2; echo $FROM_CONTAINER $EXTRA; id -u; pwd; exit 3']);
    assert.deepEqual([r.exitCode, r.stdout, r.stderr], [3, 'out\n1\n0\n/home\n', 'err\n']);
    const opts = { env: ['EXTRA=2', 'FROM_CONTAINER=override'], user: 'app', workingDir: '/tmp' };
    const r2 = await h.exec(box, ['sh', '-c', 'echo $FROM_CONTAINER $EXTRA $HOME; id -u; id -G; pwd'], opts);
    assert.equal(r2.stdout, 'override 2 /home/app\n1000\n1000 50\n/tmp\n');
    const { exec } = await h.client.getExec({ id: r.execId });
    assert.equal(exec!.running, false);
    assert.equal(exec!.exitCode, 3);
    assert.equal(exec!.containerId, box);
  });

  it('publishes exec_create, exec_start (with the command, as Docker) and exec_die with the exit code', async () => {
    const r = await h.exec(box, ['sh', '-c', 'exit 4']);
    const actions = h.events.events.filter((e) => e.Actor.Attributes.execID === r.execId).map((e) => e.Action);
    assert.deepEqual(actions, ['exec_create: sh -c exit 4', 'exec_start: sh -c exit 4', 'exec_die']); // Docker's actions
    assert.equal((await h.event(box, 'exec_die')).Actor.ID, box);
    const die = h.events.events.find((e) => e.Action === 'exec_die' && e.Actor.Attributes.execID === r.execId)!;
    assert.equal(die.Actor.Attributes.exitCode, '4');
  });

  it('feeds stdin and closes it at the end of the input', async () => {
    const r = await h.exec(box, ['sh', '-c', 'cat; echo done'], { stdin: 'line one\nline two\n' });
    assert.deepEqual([r.exitCode, r.stdout], [0, 'line one\nline two\ndone\n']);
  });

  it('runs with a TTY: console size, resizes, interactive input', async () => {
    const { id } = await h.client.createExec({
      containerId: box, cmd: ['sh'], env: [], user: '', workingDir: '', tty: true, privileged: false,
      attachStdin: true, attachStdout: true, attachStderr: true, detachKeys: '',
    });
    const input = new RequestQueue<runtime.StartExecRequest>();
    input.push({ options: { id, detach: false, consoleSize: { height: 30, width: 100 } } });
    const out = new OutputCollector();
    let exit = -1;
    const done = (async () => {
      for await (const r of h.client.startExec(input)) {
        if (r.output) out.add(r.output);
        if (r.exit) exit = r.exit.exitCode;
      }
    })();
    input.push({ input: { data: Buffer.from('stty size; tty\n') } });
    await out.waitFor(/30 100\r\n\/dev\/pts\/\d+\r\n/);
    const { exec } = await h.client.getExec({ id });
    assert.equal(exec!.running, true);
    assert.ok(exec!.pid > 0);
    input.push({ input: { resize: { height: 40, width: 120 } } });
    input.push({ input: { data: Buffer.from('stty size\n') } });
    await out.waitFor(/40 120\r\n/);
    await h.client.resizeExec({ id, height: 50, width: 132 });
    input.push({ input: { data: Buffer.from('stty size; exit 5\n') } });
    await done;
    assert.match(out.stdout, /50 132\r\n/);
    assert.equal(out.stderr, '');
    assert.equal(exit, 5);
  });

  it('starts detached: the process runs on, its exit is recorded', async () => {
    const { id } = await h.client.createExec({
      containerId: box, cmd: ['sh', '-c', 'echo detached > /tmp/mark; exit 6'], env: [], user: '', workingDir: '', tty: false,
      privileged: false, attachStdin: false, attachStdout: false, attachStderr: false, detachKeys: '',
    });
    const input = new RequestQueue<runtime.StartExecRequest>();
    input.push({ options: { id, detach: true } });
    input.end();
    const responses = [];
    for await (const r of h.client.startExec(input)) responses.push(r);
    assert.equal(responses.length, 1);
    assert.ok(responses[0]!.started!.pid > 0);
    await until('the detached exec to exit', async () => (await h.client.getExec({ id })).exec!.exitCode === 6);
    assert.equal((await h.exec(box, ['cat', '/tmp/mark'])).stdout, 'detached\n');
  });

  it('fails like Docker: missing command (127), not running container, unknown or used exec', async () => {
    const { id } = await h.client.createExec({
      containerId: box, cmd: ['/no/such/cmd'], env: [], user: '', workingDir: '', tty: false, privileged: false,
      attachStdin: false, attachStdout: true, attachStderr: true, detachKeys: '',
    });
    const start = async (execId: string) => {
      const input = new RequestQueue<runtime.StartExecRequest>();
      input.push({ options: { id: execId, detach: false } });
      input.end();
      for await (const _ of h.client.startExec(input)) { /* drain */ }
    };
    await assert.rejects(start(id), kind('invalid_argument', /OCI runtime exec failed:.*no such file or directory/i));
    assert.equal((await h.client.getExec({ id })).exec!.exitCode, 127);
    await assert.rejects(start(id), kind('failed_precondition', /has already run/));
    await assert.rejects(h.client.getExec({ id: 'nope' }), kind('not_found', /^No such exec instance: nope$/));
    const stopped = await h.create({ cmd: ['true'] });
    await assert.rejects(h.client.createExec({
      containerId: stopped, cmd: ['true'], env: [], user: '', workingDir: '', tty: false, privileged: false,
      attachStdin: false, attachStdout: true, attachStderr: true, detachKeys: '',
    }), kind('failed_precondition', /is not running/));
  });

  it('lists the container\'s execs and forgets them with the container', async () => {
    const other = await h.run({ cmd: ['sleep', '3600'] });
    const { execId } = await h.exec(other, ['true']);
    assert.deepEqual((await h.client.getContainer({ id: other })).container!.execIds!.values, [execId]);
    await h.client.removeContainer({ id: other, force: true, removeVolumes: false });
    await assert.rejects(h.client.getExec({ id: execId }), kind('not_found'));
  });
});
