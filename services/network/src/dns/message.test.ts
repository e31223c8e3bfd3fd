import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aRecord, buildResponse, encodeName, parseQuery, ptrRecord, RCode, RType } from './message.js';

function query(name: string, type: number, id = 0x1234): Buffer {
  const header = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, encodeName(name), Buffer.from([0, type, 0, 1])]);
}

describe('dns message', () => {
  it('parses a query and answers it with A records', () => {
    const q = parseQuery(query('Web.Example', RType.A))!;
    assert.equal(q.name, 'Web.Example');
    assert.equal(q.type, RType.A);
    const res = buildResponse(q, RCode.NoError, [aRecord('10.201.0.2', 600), aRecord('10.201.0.3', 600)]);
    assert.equal(res.readUInt16BE(0), 0x1234);
    assert.equal(res.readUInt16BE(2) & 0x8000, 0x8000, 'QR');
    assert.equal(res.readUInt16BE(2) & 0x0100, 0x0100, 'RD echoed');
    assert.equal(res.readUInt16BE(6), 2, 'answers');
    const first = 12 + q.question.length;
    assert.equal(res.readUInt16BE(first), 0xc00c);
    assert.deepEqual([...res.subarray(first + 12, first + 16)], [10, 201, 0, 2]);
  });

  it('answers PTR and errors', () => {
    const q = parseQuery(query('2.0.201.10.in-addr.arpa', RType.PTR))!;
    const res = buildResponse(q, RCode.NoError, [ptrRecord('web.mynet', 600)]);
    assert.ok(res.includes(encodeName('web.mynet')));
    assert.equal(buildResponse(q, RCode.NxDomain).readUInt16BE(2) & 0xf, RCode.NxDomain);
  });

  it('refuses responses and garbage', () => {
    const r = query('a', RType.A);
    r[2] = 0x81;
    assert.equal(parseQuery(r), undefined);
    assert.equal(parseQuery(Buffer.from([1, 2, 3])), undefined);
    const truncated = query('abc', RType.A).subarray(0, 15);
    assert.equal(parseQuery(truncated), undefined);
  });
});
