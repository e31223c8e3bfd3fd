import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, FrameDecoder, StreamType } from './multiplexed-stream.js';

test('encodeFrame writes the 8-byte header: stream, three zeros, big-endian size', () => {
  const frame = encodeFrame(StreamType.Stderr, Buffer.from('hello\n'));
  assert.deepEqual([...frame.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 6]);
  assert.equal(frame.subarray(8).toString(), 'hello\n');
});

test('FrameDecoder reassembles frames split across chunks', () => {
  const bytes = Buffer.concat([
    encodeFrame(StreamType.Stdout, Buffer.from('out\n')),
    encodeFrame(StreamType.Stderr, Buffer.from('err\n')),
    encodeFrame(StreamType.Stdout, Buffer.alloc(70_000, 'x')),
  ]);
  const decoder = new FrameDecoder();
  const frames = [];
  for (let i = 0; i < bytes.length; i += 5) frames.push(...decoder.push(bytes.subarray(i, i + 5)));
  assert.equal(frames.length, 3);
  assert.deepEqual(
    frames.map((f) => [f.stream, f.payload.length]),
    [
      [1, 4],
      [2, 4],
      [1, 70_000],
    ],
  );
  assert.equal(frames[1]!.payload.toString(), 'err\n');
  assert.equal(decoder.leftover, 0);
});

test('FrameDecoder keeps an incomplete frame as leftover', () => {
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(encodeFrame(StreamType.Stdout, Buffer.from('abc')).subarray(0, 9)), []);
  assert.equal(decoder.leftover, 9);
});
