import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeHarness } from '../testing/runtime-harness.js';

const MAX = 2048;
const LINES = 60;

describe('log rotation (real conmon)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create({ runtime: { logMaxBytes: MAX, logMaxFiles: 3 }, logCheckMs: 50 });
  });
  after(async () => {
    await h?.cleanup();
  });

  it('rotates by size, keeps max files, and a follower misses no line across rotations', async () => {
    const pad = 'x'.repeat(80);
    const id = await h.run({ cmd: ['sh', '-c', `i=1; while [ $i -le ${LINES} ]; do echo line-$i-${pad}; i=$((i+1)); sleep 0.02; done`] });
    const followed: string[] = [];
    for await (const e of h.client.containerLogs({ id, follow: true, stdout: true, stderr: true, since: '', until: '', tail: '' })) {
      followed.push(e.data.toString());
    }
    const expected = Array.from({ length: LINES }, (_, i) => `line-${i + 1}-${pad}\n`);
    const numbers = (lines: string[]) => lines.map((l) => l.split('-')[1]).join(' ');
    assert.equal(numbers(followed), numbers(expected), 'the follower saw every line once, in order');
    assert.deepEqual(followed, expected);

    const dir = path.dirname((await h.client.getContainer({ id })).container!.logPath);
    const files = (await readdir(dir)).filter((f) => f.startsWith('container.log')).sort();
    assert.deepEqual(files, ['container.log', 'container.log.1', 'container.log.2']);
    for (const f of files) {
      const { size } = await stat(path.join(dir, f));
      assert.ok(size < MAX * 2, `${f} is ${size} bytes`); // the limit, plus what one check interval lets through
    }
    // What is left is the end of the output, without gaps, across the three files.
    const kept = (await h.logs(id)).split('\n').filter(Boolean);
    assert.ok(kept.length > 10 && kept.length < LINES, `${kept.length} lines kept`);
    assert.equal(numbers(kept), numbers(expected.slice(LINES - kept.length)));
    assert.deepEqual((await h.logs(id, { tail: '3' })).split('\n').filter(Boolean).map((l) => l.split('-')[1]), ['58', '59', '60']);
  });

  it('logs a TTY container\'s output as is (CR LF)', async () => {
    const id = await h.run({ cmd: ['sh', '-c', 'echo hello; printf "no newline"'], tty: true });
    await h.client.waitContainer({ id, condition: '' });
    assert.equal(await h.logs(id), 'hello\r\nno newline');
  });
});
