import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilters, encodeFilters } from './filters.js';
import { decodeRegistryAuth } from './registry-auth.js';

test('parseFilters takes the list form and the older map form', () => {
  assert.deepEqual(parseFilters(null), []);
  assert.deepEqual(parseFilters(''), []);
  assert.deepEqual(parseFilters('{"status":["exited","created"],"label":["a=b"]}'), [
    { key: 'status', values: ['exited', 'created'] },
    { key: 'label', values: ['a=b'] },
  ]);
  assert.deepEqual(parseFilters('{"dangling":{"true":true,"false":false}}'), [{ key: 'dangling', values: ['true'] }]);
  assert.deepEqual(parseFilters(encodeFilters({ name: ['web'] })), [{ key: 'name', values: ['web'] }]);
});

test('parseFilters refuses what is not a filter map', () => {
  assert.throws(() => parseFilters('{'), { kind: 'invalid_argument' });
  assert.throws(() => parseFilters('[1]'), { kind: 'invalid_argument' });
  assert.throws(() => parseFilters('{"status":"exited"}'), { kind: 'invalid_argument' });
  assert.throws(() => parseFilters('{"status":[1]}'), { kind: 'invalid_argument' });
});

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

test('decodeRegistryAuth reads base64url JSON, with or without padding', () => {
  const auth = decodeRegistryAuth(b64url({ username: 'u', password: 'p?>', serveraddress: 'r.example:5000' }));
  assert.deepEqual(auth, { username: 'u', password: 'p?>', identityToken: '', registryToken: '', serverAddress: 'r.example:5000' });
  const std = Buffer.from(JSON.stringify({ identitytoken: 'tok' })).toString('base64');
  assert.equal(decodeRegistryAuth(std)?.identityToken, 'tok');
});

test('decodeRegistryAuth splits the legacy "auth" field', () => {
  const auth = decodeRegistryAuth(b64url({ auth: Buffer.from('alice:se:cret').toString('base64') }));
  assert.equal(auth?.username, 'alice');
  assert.equal(auth?.password, 'se:cret');
});

test('decodeRegistryAuth: empty means anonymous, garbage is a 400', () => {
  assert.equal(decodeRegistryAuth(undefined), undefined);
  assert.equal(decodeRegistryAuth(''), undefined);
  assert.equal(decodeRegistryAuth(b64url({})), undefined);
  assert.throws(() => decodeRegistryAuth('!!!not-json'), { kind: 'invalid_argument' });
});
