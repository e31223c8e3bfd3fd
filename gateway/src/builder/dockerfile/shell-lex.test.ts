import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processWord, processWords } from './shell-lex.js';
import { parseDuration, rawWords } from './words.js';

const vars = new Map([
  ['A', 'apple'],
  ['EMPTY', ''],
  ['SPACED', 'x y'],
  ['NUM1', 'one'],
]);

test('$x and ${x} expand; unset is empty; a $ without a name stays', () => {
  assert.equal(processWord('$A-${A}_$NUM1.$UNSET|', vars), 'apple-apple_one.|');
  assert.equal(processWord('cost: 5$ and $', vars), 'cost: 5$ and $');
  assert.equal(processWord('$A$A', vars), 'appleapple');
});

test('modifiers :- - :+ + :? ?', () => {
  assert.equal(processWord('${UNSET:-dflt} ${EMPTY:-dflt} ${A:-dflt}', vars), 'dflt dflt apple');
  assert.equal(processWord('${UNSET-dflt}|${EMPTY-dflt}', vars), 'dflt|');
  assert.equal(processWord('${A:+alt}|${EMPTY:+alt}|${UNSET:+alt}', vars), 'alt||');
  assert.equal(processWord('${EMPTY+alt}|${UNSET+alt}', vars), 'alt|');
  assert.equal(processWord('${UNSET:-$A/x}', vars), 'apple/x');
  assert.equal(processWord('${A:?must be set}', vars), 'apple');
  assert.throws(() => processWord('${UNSET:?must be set}', vars), /UNSET: must be set/);
  assert.throws(() => processWord('${EMPTY:?}', vars), /EMPTY: is not allowed to be unset/);
  assert.throws(() => processWord('${A%x}', vars), /unsupported modifier \(%\)/);
  assert.throws(() => processWord('${A:-x', vars), /missing '}'/);
});

test('quotes: single literal, double expands; the escape character takes the next literally', () => {
  assert.equal(processWord(`'$A' "$A" \\$A "a\\"b" "c\\d"`, vars), '$A apple $A a"b c\\d');
  assert.equal(processWord('a\\ b', vars), 'a b');
  assert.equal(processWord('`$A', vars, '`'), '$A');
  assert.equal(processWord('C:\\dir', vars, '`'), 'C:\\dir');
  assert.throws(() => processWord(`'open`, vars), /matching single-quote/);
  assert.throws(() => processWord(`"open`, vars), /matching double-quote/);
});

test('processWords splits on unquoted whitespace and unquoted expansions', () => {
  assert.deepEqual(processWords('a "b c"  d\\ e $SPACED "$SPACED" \'\'', vars), ['a', 'b c', 'd e', 'x', 'y', 'x y', '']);
  assert.deepEqual(processWords('  $UNSET  ', vars), []);
  assert.deepEqual(processWords('pre${A}post', vars), ['preapplepost']);
});

test('raw words keep quotes and escapes for later substitution', () => {
  assert.deepEqual(rawWords(`a "b c" 'd e' f\\ g h=" i "`, '\\'), ['a', '"b c"', "'d e'", 'f\\ g', 'h=" i "']);
});

test('Go durations', () => {
  assert.equal(parseDuration('30s'), 30e9);
  assert.equal(parseDuration('1h2m3s'), 3723e9);
  assert.equal(parseDuration('1.5s'), 1.5e9);
  assert.equal(parseDuration('250us'), 250e3);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('10'), undefined);
  assert.equal(parseDuration('5x'), undefined);
  assert.equal(parseDuration(''), undefined);
});
