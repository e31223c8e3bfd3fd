import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorKind } from '@berth/kit';
import { RestartScheduler, validateRestartPolicy } from './restart-policy.js';

describe('restart policy', () => {
  it('backs off as Docker: 100 ms doubling up to a minute, back to 100 ms after a 10 s run', () => {
    const r = new RestartScheduler();
    const delays = Array.from({ length: 12 }, () => r.nextDelay('c', 50));
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    assert.equal(r.nextDelay('c', 10_000), 100);
    assert.equal(r.nextDelay('c', 9_999), 200);
    assert.equal(r.nextDelay('other', 0), 100, 'per container');
    r.forget('c');
    assert.equal(r.nextDelay('c', 0), 100);
  });

  it('validates names, retry counts and auto-remove as Docker', () => {
    const bad = (name: string, max: number, autoRemove = false) =>
      assert.throws(() => validateRestartPolicy({ name, maximumRetryCount: max }, autoRemove), (e) => errorKind(e) === 'invalid_argument');
    bad('sometimes', 0);
    bad('always', 3);
    bad('on-failure', -1);
    bad('always', 0, true);
    for (const name of ['', 'no', 'always', 'unless-stopped', 'on-failure']) validateRestartPolicy({ name, maximumRetryCount: 0 }, false);
    validateRestartPolicy({ name: 'on-failure', maximumRetryCount: 5 }, false);
    validateRestartPolicy({ name: 'no', maximumRetryCount: 0 }, true);
  });
});
