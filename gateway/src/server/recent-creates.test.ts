import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentCreates } from './recent-creates.js';

test('a container created a moment ago is known to exist once, until a removal or its time is up', () => {
  let now = 1_000;
  const recent = new RecentCreates(() => now);
  const [a, b, c] = ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)];
  recent.add(a);
  recent.add(b);
  assert.equal(recent.take(a), true);
  assert.equal(recent.take(a), false, 'one wait per create');
  assert.equal(recent.take('aaaa'), false, 'a prefix or a name is asked about');
  recent.clear();
  assert.equal(recent.take(b), false, 'a removal through the gateway forgets everything');
  recent.add(c);
  now += 5_001;
  assert.equal(recent.take(c), false, 'too old to count');
  recent.add(a);
  now += 6_000;
  recent.add(b); // drops the expired entry
  assert.equal(recent.take(a), false);
  assert.equal(recent.take(b), true);
});
