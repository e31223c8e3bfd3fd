import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '@berth/kit';
import { errorReply } from './error-status.js';

test('the status comes from the error kind, the message is kept', () => {
  const cases: Array<[ConstructorParameters<typeof BerthError>[0], number]> = [
    ['not_found', 404],
    ['already_exists', 409],
    ['failed_precondition', 409],
    ['invalid_argument', 400],
    ['permission_denied', 403],
    ['unavailable', 503],
  ];
  for (const [kind, status] of cases) {
    assert.deepEqual(errorReply(new BerthError(kind, `msg ${kind}`)), { status, message: `msg ${kind}` });
  }
});

test('the message never decides the status', () => {
  assert.equal(errorReply(new BerthError('invalid_argument', 'No such container: x')).status, 400);
});

test('unexpected errors are 500s with a reference instead of their message', () => {
  const reply = errorReply(new Error('ENOENT /var/lib/berth/secret at Object.<anonymous> (file.js:1:1)'));
  assert.equal(reply.status, 500);
  assert.match(reply.message, /^internal error \(reference [0-9a-f]{12}\)$/);
  assert.ok(reply.reference && reply.message.includes(reply.reference));
  assert.equal(errorReply(new BerthError('internal', 'db path /x')).status, 500);
  assert.ok(!errorReply(new BerthError('internal', 'db path /x')).message.includes('/x'));
});

test('verification failures keep their message; a service\'s internal error keeps its own reference', () => {
  assert.deepEqual(errorReply(new BerthError('data_loss', 'digest mismatch for sha256:abc')), {
    status: 500,
    message: 'digest mismatch for sha256:abc',
  });
  const remote = new BerthError('internal', 'internal error (reference 0123456789ab)', { cause: Object.assign(new Error('x'), { code: 13 }) });
  assert.deepEqual(errorReply(remote), { status: 500, message: 'internal error (reference 0123456789ab)' });
});
