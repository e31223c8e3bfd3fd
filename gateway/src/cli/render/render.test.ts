import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ellipsis, renderTable, shortId } from './table.js';
import { StreamError } from '../errors.js';
import { PullProgressRenderer } from './pull-progress.js';
import { jsonLines } from './json-lines.js';
import { copyContainerOutput } from './output-demux.js';
import { encodeFrame, StreamType } from '../../stream/multiplexed-stream.js';
import type { Output } from '../command.js';

function capture(isTTY = false, columns = 200): Output & { text: () => string } {
  let text = '';
  return { isTTY, columns, write: (t) => void (text += typeof t === 'string' ? t : Buffer.from(t).toString()), text: () => text };
}

test('renderTable pads columns like docker\'s tabwriter (min 10, padding 3)', () => {
  const out = renderTable(['REPOSITORY', 'TAG', 'IMAGE ID'], [['busybox', 'latest', 'abcdef012345']]);
  assert.equal(out, 'REPOSITORY   TAG       IMAGE ID\nbusybox      latest    abcdef012345\n');
});

test('ellipsis and shortId', () => {
  assert.equal(ellipsis('sleep 3600 && echo done', 20), 'sleep 3600 && echo …');
  assert.equal(ellipsis('short', 20), 'short');
  assert.equal(shortId('sha256:0123456789abcdef'), '0123456789ab');
});

test('pull progress without a terminal: plain lines, byte progress skipped', () => {
  const out = capture(false);
  const r = new PullProgressRenderer(out);
  r.push({ status: 'Pulling from library/busybox', id: 'latest' });
  r.push({ status: 'Pulling fs layer', progressDetail: {}, id: 'abc' });
  r.push({ status: 'Downloading', progressDetail: { current: 5, total: 10 }, progress: '[==>]', id: 'abc' });
  r.push({ status: 'Pull complete', progressDetail: {}, id: 'abc' });
  r.push({ status: 'Digest: sha256:x' });
  assert.equal(out.text(), 'latest: Pulling from library/busybox\nabc: Pulling fs layer\nabc: Pull complete\nDigest: sha256:x\n');
});

test('pull progress on a terminal redraws each layer\'s line in place', () => {
  const out = capture(true);
  const r = new PullProgressRenderer(out);
  r.push({ status: 'Pulling fs layer', progressDetail: {}, id: 'l1' });
  r.push({ status: 'Pulling fs layer', progressDetail: {}, id: 'l2' });
  r.push({ status: 'Downloading', progressDetail: { current: 5, total: 10 }, id: 'l1' });
  const text = out.text();
  // The second message for l1 moves up two lines (l1 is the first of two), clears, draws, comes back.
  assert.ok(text.includes('\x1b[2A\x1b[2K\rl1: Downloading [' + '='.repeat(25)));
  assert.ok(text.endsWith('\r\x1b[2B'));
});

test('an error in the stream stops the pull', () => {
  const r = new PullProgressRenderer(capture());
  assert.throws(() => r.push({ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' }), StreamError);
});

test('jsonLines splits documents across chunks', async () => {
  async function* chunks() {
    yield Buffer.from('{"a":1}\n{"b"');
    yield Buffer.from(':2}\n\n{"c":3}');
  }
  const got = [];
  for await (const v of jsonLines(chunks())) got.push(v);
  assert.deepEqual(got, [{ a: 1 }, { b: 2 }, { c: 3 }]);
});

test('container output is split into stdout and stderr by frame', async () => {
  async function* frames() {
    const all = Buffer.concat([encodeFrame(StreamType.Stdout, Buffer.from('out\n')), encodeFrame(StreamType.Stderr, Buffer.from('err\n'))]);
    yield all.subarray(0, 10);
    yield all.subarray(10);
  }
  const stdout = capture();
  const stderr = capture();
  await copyContainerOutput(frames(), false, stdout, stderr);
  assert.equal(stdout.text(), 'out\n');
  assert.equal(stderr.text(), 'err\n');
});

test('--format: placeholders, json, escapes and table', async () => {
  const { formatRows } = await import('./row-format.js');
  const rows = [{ Names: 'web', Status: 'Up 3 seconds' }];
  assert.equal(formatRows('{{.Names}} {{.Status}}', rows, {}), 'web Up 3 seconds\n');
  assert.equal(formatRows('{{json .Names}}\\t{{.Status}}', rows, {}), '"web"\tUp 3 seconds\n');
  assert.equal(formatRows('{{json .}}', rows, {}), '{"Names":"web","Status":"Up 3 seconds"}\n');
  assert.equal(formatRows('table {{.Names}}\\t{{.Status}}', rows, { Names: 'NAMES', Status: 'STATUS' }), 'NAMES     STATUS\nweb       Up 3 seconds\n');
  assert.throws(() => formatRows('{{.Nope}}', rows, {}), /can't evaluate field Nope/);
  assert.throws(() => formatRows('{{if .Names}}x{{end}}', rows, {}), /unsupported --format/);
});
