import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateAddress, allocateSubnet, checkSpace, checkStaticAddress, defaultGateway } from './ipam.js';
import { contains, formatCidr, formatIp, macFor, overlaps, parseCidr, parseIp } from './ipv4.js';

describe('ipv4', () => {
  it('parses and formats addresses and CIDRs, clearing host bits', () => {
    assert.equal(formatIp(parseIp('10.201.3.4')), '10.201.3.4');
    assert.equal(formatCidr(parseCidr('10.201.3.4/16')), '10.201.0.0/16');
    assert.equal(formatCidr(parseCidr('0.0.0.0/0')), '0.0.0.0/0');
    for (const bad of ['10.1.2', '10.1.2.256', '01.2.3.4', 'a.b.c.d', '1.2.3.4/33', '1.2.3.4/']) {
      assert.throws(() => (bad.includes('/') ? parseCidr(bad) : parseIp(bad)), { kind: 'invalid_argument' });
    }
  });

  it('tests containment and overlap', () => {
    const a = parseCidr('10.201.0.0/16');
    assert.ok(contains(a, parseIp('10.201.255.255')));
    assert.ok(!contains(a, parseIp('10.202.0.0')));
    assert.ok(overlaps(a, parseCidr('10.201.7.0/24')));
    assert.ok(overlaps(parseCidr('10.0.0.0/8'), a));
    assert.ok(!overlaps(a, parseCidr('10.202.0.0/24')));
  });

  it("derives Docker's MAC from the address", () => {
    assert.equal(macFor(parseIp('172.17.0.2')), '02:42:ac:11:00:02');
  });
});

describe('ipam', () => {
  const subnet = parseCidr('10.9.0.0/29'); // .0 network, .1 gateway, .7 broadcast
  const space = { subnet, gateway: defaultGateway(subnet) };

  it('hands out the lowest free host address, skipping network, gateway and broadcast', () => {
    const used = new Set<number>();
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ip = allocateAddress(space, used);
      used.add(ip);
      got.push(formatIp(ip));
    }
    assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    assert.throws(() => allocateAddress(space, used), { kind: 'resource_exhausted' });
    used.delete(parseIp('10.9.0.4'));
    assert.equal(formatIp(allocateAddress(space, used)), '10.9.0.4');
  });

  it('keeps dynamic addresses inside the ip-range', () => {
    const s = parseCidr('10.9.0.0/24');
    const ip = allocateAddress({ subnet: s, gateway: defaultGateway(s), range: parseCidr('10.9.0.128/25') }, new Set());
    assert.equal(formatIp(ip), '10.9.0.128');
  });

  it('checks static addresses', () => {
    const used = new Set([parseIp('10.9.0.3')]);
    checkStaticAddress(space, parseIp('10.9.0.4'), used);
    assert.throws(() => checkStaticAddress(space, parseIp('10.9.0.3'), used), { kind: 'failed_precondition', message: /Address already in use/ });
    assert.throws(() => checkStaticAddress(space, parseIp('10.9.1.3'), used), { kind: 'invalid_argument' });
    assert.throws(() => checkStaticAddress(space, parseIp('10.9.0.1'), used), { kind: 'invalid_argument' });
  });

  it('validates subnet, gateway and range together', () => {
    const s = parseCidr('10.9.0.0/24');
    assert.throws(() => checkSpace({ subnet: s, gateway: parseIp('10.8.0.1') }), { kind: 'invalid_argument' });
    assert.throws(() => checkSpace({ subnet: s, gateway: parseIp('10.9.0.1'), range: parseCidr('10.9.0.0/23') }), { kind: 'invalid_argument' });
    checkSpace({ subnet: s, gateway: parseIp('10.9.0.254'), range: parseCidr('10.9.0.64/26') });
  });

  it('allocates subnets from the pools around what is taken', () => {
    const pools = [parseCidr('10.202.0.0/16'), parseCidr('10.203.0.0/16')];
    const taken = [parseCidr('10.202.0.0/24'), parseCidr('10.202.1.128/25'), parseCidr('10.202.2.0/23')];
    assert.equal(formatCidr(allocateSubnet(pools, 24, taken)), '10.202.4.0/24');
    assert.equal(formatCidr(allocateSubnet(pools, 24, [parseCidr('10.202.0.0/16')])), '10.203.0.0/24');
    assert.throws(() => allocateSubnet(pools, 24, [parseCidr('10.0.0.0/8')]), { kind: 'resource_exhausted' });
  });
});
