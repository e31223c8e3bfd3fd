import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { parseRfc3339Ns } from '../domain/time.js';
import { until } from '../testing/until.js';

describe('ContainerLogs over gRPC (real containers)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
  });
  after(async () => {
    await h?.cleanup();
  });

  it('follows a running container until it exits and the log is drained', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.2; done; printf tail'] });
    const entries: Array<{ stream: number; text: string; ts: string }> = [];
    for await (const e of h.client.containerLogs({ id, follow: true, stdout: true, stderr: true, since: '', until: '', tail: '' })) {
      entries.push({ stream: e.stream, text: e.data.toString(), ts: e.timestamp });
    }
    assert.deepEqual(entries.filter((e) => e.stream === 1).map((e) => e.text), ['out1\n', 'out2\n', 'out3\n', 'tail']);
    assert.deepEqual(entries.filter((e) => e.stream === 2).map((e) => e.text), ['err1\n', 'err2\n', 'err3\n']);
    assert.equal((await h.client.getContainer({ id })).container!.state!.status, 'exited');

    assert.equal(await h.logs(id, { stderr: false, tail: '2' }), 'out3\ntail');
    assert.equal(await h.logs(id, { stdout: false }), 'err1\nerr2\nerr3\n');
    const second = entries.find((e) => e.text === 'out2\n')!;
    const ns = parseRfc3339Ns(second.ts)!;
    const since = `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
    assert.equal(await h.logs(id, { stderr: false, since }), 'out2\nout3\ntail');
    assert.equal(await h.logs(id, { stderr: false, until: since }), 'out1\nout2\n');
  });

  it('follows with a tail: the last lines, then new ones', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'echo a; echo b; echo c; read x; echo d'], openStdin: true });
    await until('the first lines', async () => (await h.logs(id)) === 'a\nb\nc\n');
    const seen: string[] = [];
    for await (const e of h.client.containerLogs({ id, follow: true, stdout: true, stderr: true, since: '', until: '', tail: '1' })) {
      seen.push(e.data.toString());
      if (seen.length === 1) await h.client.killContainer({ id, signal: 'KILL' });
    }
    assert.deepEqual(seen, ['c\n']);
  });
});
