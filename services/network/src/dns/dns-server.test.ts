import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@berth/kit';
import { startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream.js';
import { DnsServer } from './dns-server.js';
import { Forwarder } from './forwarder.js';
import { encodeName, parseQuery, RCode, RType } from './message.js';

function query(name: string, type: number): Buffer {
  return Buffer.concat([Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), encodeName(name), Buffer.from([0, type, 0, 1])]);
}
const rcode = (b: Buffer) => b.readUInt16BE(2) & 0xf;
const count = (b: Buffer) => b.readUInt16BE(6);

describe('DnsServer.answer', () => {
  let upstream: FakeUpstream;
  let server: DnsServer;
  before(async () => {
    upstream = await startFakeUpstream({ 'far.example': '10.240.0.9' });
    server = new DnsServer({
      records: {
        address: (asker, _s, name) => {
          if (asker !== '10.9.0.2') return { kind: 'refuse' };
          return name === 'web' ? { kind: 'addresses', addresses: ['10.9.0.3'] } : { kind: 'forward' };
        },
        pointer: () => ({ kind: 'forward' }),
        other: () => ({ kind: 'forward' }),
      },
      forwarder: new Forwarder([{ host: '127.0.0.1', port: upstream.port }]),
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
  });
  after(() => upstream.close());

  it('answers known names for a known asker, AAAA with no records', async () => {
    const a = (await server.answer(query('web', RType.A), '10.9.0.2', '10.9.0.1', false))!;
    assert.equal(rcode(a), RCode.NoError);
    assert.equal(count(a), 1);
    assert.deepEqual([...a.subarray(a.length - 4)], [10, 9, 0, 3]);
    const aaaa = (await server.answer(query('web', RType.AAAA), '10.9.0.2', '10.9.0.1', false))!;
    assert.equal(rcode(aaaa), RCode.NoError);
    assert.equal(count(aaaa), 0);
  });

  it('forwards everything else upstream', async () => {
    const far = (await server.answer(query('far.example', RType.A), '10.9.0.2', '10.9.0.1', false))!;
    assert.equal(count(far), 1);
    assert.equal(parseQuery(query('x', 1))!.id, far.readUInt16BE(0));
    const nx = (await server.answer(query('nowhere.example', RType.A), '10.9.0.2', '10.9.0.1', false))!;
    assert.equal(rcode(nx), RCode.NxDomain);
    const mx = (await server.answer(query('far.example', 15), '10.9.0.2', '10.9.0.1', false))!;
    assert.equal(rcode(mx), RCode.NoError, 'other types are forwarded');
    assert.deepEqual(upstream.queries, ['far.example', 'nowhere.example', 'far.example']);
  });

  it('refuses askers the records refuse', async () => {
    const other = (await server.answer(query('web', RType.A), '10.9.0.99', '10.9.0.1', false))!;
    assert.equal(rcode(other), RCode.Refused);
  });

  it('answers SERVFAIL when no upstream answers, FORMERR to garbage', async () => {
    const lonely = new DnsServer({
      records: { address: () => ({ kind: 'forward' }), pointer: () => ({ kind: 'forward' }), other: () => ({ kind: 'forward' }) },
      forwarder: new Forwarder([], 100),
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    assert.equal(rcode((await lonely.answer(query('x', RType.A), '1.2.3.4', '10.9.0.1', false))!), RCode.ServFail);
    assert.equal(rcode((await lonely.answer(Buffer.from([1, 2, 0, 0, 0]), '1.2.3.4', '10.9.0.1', false))!), RCode.FormErr);
  });
});
