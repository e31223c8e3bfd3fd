import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagInt, parseArgs, type FlagSpec } from './args.js';

const specs: FlagSpec[] = [
  { long: 'detach', short: 'd', kind: 'bool' },
  { long: 'interactive', short: 'i', kind: 'bool' },
  { long: 'tty', short: 't', kind: 'bool' },
  { long: 'name', kind: 'string' },
  { long: 'env', short: 'e', kind: 'list' },
  { long: 'time', short: 'n', kind: 'string' },
];

test('long flags with and without =, bools, lists', () => {
  const a = parseArgs(['--name', 'web', '--env=A=1', '-e', 'B=2', '--detach', 'busybox'], specs);
  assert.equal(a.flags.get('name'), 'web');
  assert.deepEqual(a.flags.get('env'), ['A=1', 'B=2']);
  assert.equal(a.flags.get('detach'), true);
  assert.deepEqual(a.positionals, ['busybox']);
});

test('clustered shorthands and attached values', () => {
  const a = parseArgs(['-dit', '-eK=V', '-n5', 'x'], specs);
  assert.equal(a.flags.get('detach'), true);
  assert.equal(a.flags.get('interactive'), true);
  assert.equal(a.flags.get('tty'), true);
  assert.deepEqual(a.flags.get('env'), ['K=V']);
  assert.equal(flagInt(a, 'time'), 5);
  assert.deepEqual(a.positionals, ['x']);
});

test('bool values spelled out', () => {
  assert.equal(parseArgs(['--detach=false'], specs).flags.get('detach'), false);
  assert.equal(parseArgs(['-d=true'], specs).flags.get('detach'), true);
  assert.throws(() => parseArgs(['--detach=maybe'], specs), /invalid argument "maybe"/);
});

test('non-interspersed parsing stops at the first positional (run IMAGE CMD...)', () => {
  const a = parseArgs(['-d', 'busybox', 'ls', '-la', '--name', 'x'], specs, { interspersed: false });
  assert.deepEqual(a.positionals, ['busybox', 'ls', '-la', '--name', 'x']);
  assert.equal(a.flags.get('name'), undefined);
});

test('interspersed parsing takes flags after positionals; -- ends flags', () => {
  const a = parseArgs(['c1', '-d', 'c2', '--', '-t'], specs);
  assert.deepEqual(a.positionals, ['c1', 'c2', '-t']);
  assert.equal(a.flags.get('detach'), true);
});

test('errors read like docker\'s', () => {
  assert.throws(() => parseArgs(['--bogus'], specs), /unknown flag: --bogus/);
  assert.throws(() => parseArgs(['-x'], specs), /unknown shorthand flag: 'x' in -x/);
  assert.throws(() => parseArgs(['--name'], specs), /flag needs an argument: --name/);
  assert.throws(() => parseArgs(['-e'], specs), /flag needs an argument/);
  assert.throws(() => flagInt(parseArgs(['-n', 'ten'], specs), 'time'), /invalid argument "ten"/);
});
