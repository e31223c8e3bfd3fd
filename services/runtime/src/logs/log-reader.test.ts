import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseLine, RecordAssembler } from './k8s-file.js';
import { readLogs, type LogQuery } from './log-reader.js';

const all: LogQuery = { follow: false, stdout: true, stderr: true };
const done = { isDone: async () => true };

async function collect(file: string, q: Partial<LogQuery>, control = done): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readLogs(file, { ...all, ...q }, control)) out.push(`${r.stream}:${r.data.toString()}`);
  return out;
}

describe('k8s-file logs', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-logs-'));
    file = path.join(dir, 'ctr.log');
    await writeFile(file, [
      '2024-01-01T00:00:01.000000001+00:00 stdout F one',
      '2024-01-01T00:00:02.000000000+00:00 stderr P tw',
      '2024-01-01T00:00:02.500000000+00:00 stdout F two-out',
      '2024-01-01T00:00:03.000000000+00:00 stderr F o',
      '2024-01-01T00:00:04.000000000+00:00 stdout F ',
      '2024-01-01T00:00:05.000000000+00:00 stdout P no newline',
      '',
    ].join('\n'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses a line and joins partial lines per stream', () => {
    const raw = parseLine(Buffer.from('2024-01-01T00:00:01.5Z stderr P a b c'))!;
    assert.equal(raw.stream, 2);
    assert.equal(raw.partial, true);
    assert.equal(raw.text.toString(), 'a b c');
    assert.equal(raw.timeNs, 1704067201_500000000n);
    assert.equal(parseLine(Buffer.from('garbage')), undefined);
    const a = new RecordAssembler();
    assert.deepEqual(a.push(Buffer.from('2024-01-01T00:00:01Z stdout P ab')), []);
    assert.equal(a.push(Buffer.from('2024-01-01T00:00:02Z stdout F cd'))[0]!.data.toString(), 'abcd\n');
  });

  it('reads all, one stream, the tail, since and until', async () => {
    assert.deepEqual(await collect(file, {}), ['1:one\n', '1:two-out\n', '2:two\n', '1:\n', '1:no newline']);
    assert.deepEqual(await collect(file, { stdout: false }), ['2:two\n']);
    assert.deepEqual(await collect(file, { tail: 2 }), ['1:\n', '1:no newline']);
    assert.deepEqual(await collect(file, { tail: 0 }), []);
    assert.deepEqual(await collect(file, { sinceNs: 1704067202_000000000n, untilNs: 1704067203_000000000n }), ['1:two-out\n', '2:two\n']);
  });

  it('follows a growing file until the writer is done', async () => {
    const f = path.join(dir, 'follow.log');
    await writeFile(f, '2024-01-01T00:00:01Z stdout F first\n');
    let finished = false;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const r of readLogs(f, { ...all, follow: true }, { isDone: async () => finished, pollMs: 50 })) {
        seen.push(r.data.toString());
        if (seen.length === 1) {
          await appendFile(f, '2024-01-01T00:00:02Z stdout P se'); // a file line written in two goes
          await appendFile(f, 'c\n2024-01-01T00:00:02Z stdout F ond\n');
          finished = true;
        }
      }
    })();
    await reading;
    assert.deepEqual(seen, ['first\n', 'second\n']);
  });

  it('yields nothing for a log that does not exist yet', async () => {
    assert.deepEqual(await collect(path.join(dir, 'missing.log'), {}), []);
  });
});
