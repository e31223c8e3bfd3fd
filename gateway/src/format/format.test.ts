import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binarySize, humanSize } from './human-size.js';
import { humanAgo, humanDuration } from './human-duration.js';
import { progressText } from './progress-bar.js';

test('humanSize matches go-units HumanSize (4 significant digits by default)', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(500), '500B');
  assert.equal(humanSize(13256), '13.26kB');
  assert.equal(humanSize(1_000_000), '1MB');
  assert.equal(humanSize(2_480), '2.48kB');
  assert.equal(humanSize(4_257_000, 3), '4.26MB');
  assert.equal(humanSize(1_234_567_890, 3), '1.23GB');
});

test('binarySize uses binary units as docker info prints memory', () => {
  assert.equal(binarySize(1024), '1KiB');
  assert.equal(binarySize(25_275_000_000), '23.54GiB');
});

test('humanDuration words durations as Docker does', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [500, 'Less than a second'],
    [1 * s, '1 second'],
    [3 * s, '3 seconds'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [120 * s, '2 minutes'],
    [59 * 60 * s, '59 minutes'],
    [60 * 60 * s, 'About an hour'],
    [3 * 3600 * s, '3 hours'],
    [47 * 3600 * s, '47 hours'],
    [3 * 86400 * s, '3 days'],
    [15 * 86400 * s, '2 weeks'],
    [90 * 86400 * s, '3 months'],
    [800 * 86400 * s, '2 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('humanAgo appends "ago"', () => {
  const now = new Date('2024-01-01T00:02:00Z');
  assert.equal(humanAgo(new Date('2024-01-01T00:00:00Z'), now), '2 minutes ago');
});

test('progressText draws Docker\'s bar and byte counts', () => {
  assert.equal(progressText(0, 0), '');
  assert.equal(progressText(1_000_000, 2_000_000), `[${'='.repeat(25)}>${' '.repeat(25)}]      1MB/2MB`);
  assert.equal(progressText(2_000_000, 2_000_000, false), '     2MB/2MB');
  assert.equal(progressText(5000, 0), '     5kB');
  // More than the total (a size estimate that was low): no numbers.
  assert.equal(progressText(3, 2), `[${'='.repeat(50)}>] `);
});
