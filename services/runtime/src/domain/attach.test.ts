import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorKind } from '@berth/kit';
import type { runtime } from '@berth/proto';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { OutputCollector, RequestQueue } from '../testing/stdio-client.js';

interface Attached {
  out: OutputCollector;
  input: RequestQueue<runtime.AttachContainerRequest>;
  /** Resolves when connected (live output from then on). */
  attached: Promise<void>;
  /** Resolves when the stream ends (the container stopped, or the attach was cancelled). */
  done: Promise<void>;
  abort: AbortController;
}

describe('attach (conmon attach socket)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
  });
  after(async () => {
    await h?.cleanup();
  });

  function attach(id: string, opts: Partial<runtime.AttachOptions> = {}): Attached {
    const input = new RequestQueue<runtime.AttachContainerRequest>();
    input.push({ options: { id, stdin: false, stdout: true, stderr: true, logs: false, stream: true, ...opts } });
    const out = new OutputCollector();
    const abort = new AbortController();
    let onAttached!: () => void;
    const attached = new Promise<void>((resolve) => (onAttached = resolve));
    const done = (async () => {
      try {
        for await (const r of h.client.attachContainer(input, { signal: abort.signal })) {
          if (r.attached) onAttached();
          if (r.output) out.add(r.output);
        }
      } catch (err) {
        if (errorKind(err) !== 'cancelled') throw err;
      }
    })();
    return { out, input, attached, done, abort };
  }

  it('attaches to a created container before its start and misses nothing', async () => {
    const id = await h.create({ cmd: ['sh', '-c', 'echo one; echo two >&2; echo three'] });
    const a = attach(id);
    await h.client.startContainer({ id });
    await a.attached;
    await a.done;
    assert.equal(a.out.stdout, 'one\nthree\n');
    assert.equal(a.out.stderr, 'two\n');
    assert.ok(h.events.events.some((e) => e.Actor.ID === id && e.Action === 'attach'));
  });

  it('serves several attachers at once; one leaving keeps stdin open for the others', async () => {
    const id = await h.run({ cmd: ['cat'], openStdin: true });
    const a = attach(id, { stdin: true });
    const b = attach(id, { stdin: true });
    await Promise.all([a.attached, b.attached]);
    a.input.push({ input: { data: Buffer.from('hello\n') } });
    await Promise.all([a.out.waitFor(/^hello\n$/), b.out.waitFor(/^hello\n$/)]);
    a.abort.abort();
    await a.done;
    b.input.push({ input: { data: Buffer.from('again\n') } });
    await b.out.waitFor(/^hello\nagain\n$/);
    assert.equal((await h.client.getContainer({ id })).container!.state!.status, 'running');
    b.input.push({ input: { closeStdin: true } }); // not stdin-once: the container's stdin stays open
    await h.client.killContainer({ id, signal: 'KILL' });
    await b.done;
  });

  it('closes the container\'s stdin when a stdin-once attacher ends its input', async () => {
    const id = await h.create({ cmd: ['sh', '-c', 'cat; echo end'], openStdin: true, stdinOnce: true });
    const a = attach(id, { stdin: true });
    await h.client.startContainer({ id });
    await a.attached;
    a.input.push({ input: { data: Buffer.from('data\n') } });
    a.input.end();
    await a.done;
    assert.equal(a.out.stdout, 'data\nend\n');
    assert.equal((await h.client.waitContainer({ id, condition: '' })).exitCode, 0);
  });

  it('replays the log first, and resizes a TTY (with a resize event)', async () => {
    const id = await h.run({ cmd: ['sh'], tty: true, openStdin: true });
    const a = attach(id, { stdin: true });
    await a.attached;
    await h.client.resizeContainer({ id, height: 33, width: 111 });
    a.input.push({ input: { data: Buffer.from('stty size\n') } });
    await a.out.waitFor(/33 111\r\n/);
    a.input.push({ input: { resize: { height: 44, width: 99 } } });
    a.input.push({ input: { data: Buffer.from('stty size\n') } });
    await a.out.waitFor(/44 99\r\n/);
    const resize = await h.event(id, 'resize');
    assert.deepEqual([resize.Actor.Attributes.height, resize.Actor.Attributes.width], ['33', '111']);
    const replay = attach(id, { logs: true, stream: false });
    await replay.done;
    assert.match(replay.out.stdout, /33 111\r\n/);
    a.input.push({ input: { data: Buffer.from('exit 2\n') } });
    await a.done;
    assert.equal((await h.client.waitContainer({ id, condition: '' })).exitCode, 2);
  });

  it('ends a waiting attach when the container is removed', async () => {
    const id = await h.create({ cmd: ['true'] });
    const a = attach(id);
    await h.client.removeContainer({ id, force: false, removeVolumes: false });
    await a.done;
    assert.equal(a.out.stdout + a.out.stderr, '');
  });
});
