import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainNames, jumpFixes, jumps, parseSave, removalInput, renderRules, restoreInput } from './firewall-rules.js';

const c = chainNames('BERTH');
const state = {
  bridges: [
    { device: 'berth0', subnet: '10.201.0.0/16', internal: false, masquerade: true },
    { device: 'br-int', subnet: '10.202.0.0/24', internal: true, masquerade: true },
  ],
  ports: [{ device: 'berth0', containerIp: '10.201.0.2', protocol: 'tcp' as const, containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080 }],
};

describe('firewall rules', () => {
  it('renders per-bridge forwarding, isolation, NAT and DNAT', () => {
    const r = renderRules(c, state);
    const fwd = r.filter.get('BERTH-FORWARD')!;
    assert.equal(fwd[0], '-A BERTH-FORWARD -j BERTH-ISOLATION');
    assert.ok(fwd.includes('-A BERTH-FORWARD -i berth0 ! -o berth0 -j ACCEPT'));
    assert.ok(!fwd.includes('-A BERTH-FORWARD -i br-int ! -o br-int -j ACCEPT'), 'internal: no egress accept');
    assert.ok(fwd.includes('-A BERTH-FORWARD -i br-int -j DROP'));
    const published = fwd.indexOf('-A BERTH-FORWARD -d 10.201.0.2/32 ! -i berth0 -o berth0 -p tcp -m tcp --dport 80 -j ACCEPT');
    assert.ok(published > 0 && published < fwd.indexOf('-A BERTH-FORWARD -o berth0 -j DROP'));
    assert.deepEqual(r.filter.get('BERTH-ISOLATION'), [
      '-A BERTH-ISOLATION -i berth0 -o br-int -j DROP',
      '-A BERTH-ISOLATION -i br-int -o berth0 -j DROP',
    ]);
    const post = r.nat.get('BERTH-POSTROUTING')!;
    assert.ok(post.includes('-A BERTH-POSTROUTING -s 10.201.0.0/16 ! -o berth0 -j MASQUERADE'));
    assert.ok(!post.some((l) => l.includes('10.202.0.0/24')), 'internal: no NAT');
    assert.deepEqual(r.nat.get('BERTH-PREROUTING'), ['-A BERTH-PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.201.0.2:80']);
    assert.deepEqual(r.nat.get('BERTH-OUTPUT'), ['-A BERTH-OUTPUT -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.201.0.2:80']);
  });

  it('declares chains (which flushes them) and fixes jumps to exactly one', () => {
    const live = parseSave(['*filter', ':FORWARD ACCEPT [0:0]', '-A FORWARD -j BERTH-FORWARD', '-A FORWARD -j BERTH-FORWARD', '-A FORWARD -j OTHER', 'COMMIT'].join('\n'));
    assert.deepEqual(jumpFixes('filter', live, jumps(c)), ['-D FORWARD -j BERTH-FORWARD']);
    assert.deepEqual(jumpFixes('nat', new Map(), jumps(c)), [
      '-I PREROUTING 1 -m addrtype --dst-type LOCAL -j BERTH-PREROUTING',
      '-I OUTPUT 1 -m addrtype --dst-type LOCAL -j BERTH-OUTPUT',
      '-I POSTROUTING 1 -j BERTH-POSTROUTING',
    ]);
    const input = restoreInput('filter', renderRules(c, state).filter, []);
    assert.match(input, /^\*filter\n:BERTH-FORWARD - \[0:0\]\n:BERTH-ISOLATION - \[0:0\]\n/);
    assert.match(input, /COMMIT\n$/);
    assert.ok(!input.includes('OTHER'));
  });

  it('removes only its own chains and jumps', () => {
    const live = parseSave(['*filter', ':FORWARD ACCEPT [0:0]', ':BERTH-FORWARD - [0:0]', ':DOCKER - [0:0]', '-A FORWARD -j BERTH-FORWARD', '-A FORWARD -j DOCKER', 'COMMIT'].join('\n'));
    assert.equal(removalInput('filter', live, c), '*filter\n-D FORWARD -j BERTH-FORWARD\n-F BERTH-FORWARD\n-X BERTH-FORWARD\nCOMMIT\n');
    assert.equal(removalInput('nat', new Map(), c), undefined);
  });
});
