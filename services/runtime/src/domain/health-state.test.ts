import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthState } from './container.js';
import { applyHealthResult } from './health-state.js';
import { mergeHealthcheck } from './process-config.js';

const probe = (exitCode: number) => ({ exitCode, output: `out ${exitCode}`, start: 's', end: 'e' });
const starting: HealthState = { status: 'starting', failingStreak: 0, log: [] };

describe('health bookkeeping (Docker\'s rules)', () => {
  it('turns unhealthy after `retries` failures in a row, healthy at the first success', () => {
    let h = applyHealthResult(starting, probe(1), 3, false);
    assert.deepEqual([h.status, h.failingStreak], ['starting', 1]);
    h = applyHealthResult(applyHealthResult(h, probe(1), 3, false), probe(2), 3, false);
    assert.deepEqual([h.status, h.failingStreak], ['unhealthy', 3]);
    h = applyHealthResult(h, probe(0), 3, false);
    assert.deepEqual([h.status, h.failingStreak], ['healthy', 0]);
    h = applyHealthResult(h, probe(1), 3, false);
    assert.deepEqual([h.status, h.failingStreak], ['healthy', 1], 'one failure does not make it unhealthy');
  });

  it('does not count failures during the start period, but a success there counts', () => {
    let h = applyHealthResult(starting, probe(1), 1, true);
    assert.deepEqual([h.status, h.failingStreak, h.log.length], ['starting', 0, 1]);
    h = applyHealthResult(h, probe(0), 1, true);
    assert.equal(h.status, 'healthy');
  });

  it('keeps the last five results', () => {
    let h = starting;
    for (let i = 0; i < 8; i++) h = applyHealthResult(h, probe(i % 2), 3, false);
    assert.deepEqual(h.log.map((l) => l.exitCode), [1, 0, 1, 0, 1]);
  });

  it('merges the request\'s healthcheck over the image\'s as moby does', () => {
    const image = { test: ['CMD', 'check'], intervalNs: 5e9, timeoutNs: 1e9, retries: 4, startPeriodNs: 0, startIntervalNs: 0 };
    assert.equal(mergeHealthcheck(undefined, image), image);
    const merged = mergeHealthcheck({ test: [], intervalNs: 1e9, timeoutNs: 0, retries: 0, startPeriodNs: 0, startIntervalNs: 0 }, image);
    assert.deepEqual(merged, { ...image, intervalNs: 1e9 });
    assert.deepEqual(mergeHealthcheck({ ...image, test: ['NONE'] }, image)!.test, ['NONE']);
  });
});
