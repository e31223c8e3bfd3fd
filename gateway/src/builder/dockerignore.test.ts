import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerIgnore } from './dockerignore.js';

const ig = (content: string) => DockerIgnore.parse(content);

test('comments, blank lines, whitespace and leading slashes', () => {
  const d = ig('# a comment\n\n   /build   \n./tmp/\n');
  assert.equal(d.ignores('build'), true);
  assert.equal(d.ignores('build/out.o'), true, 'a directory pattern covers its contents');
  assert.equal(d.ignores('tmp/x'), true);
  assert.equal(d.ignores('src/build'), false, 'patterns are anchored at the context root');
  assert.equal(d.ignores('# a comment'), false);
});

test('* and ? stay within one path segment', () => {
  const d = ig('*.log\ndata/?.txt\n');
  assert.equal(d.ignores('a.log'), true);
  assert.equal(d.ignores('dir/a.log'), false);
  assert.equal(d.ignores('data/a.txt'), true);
  assert.equal(d.ignores('data/ab.txt'), false);
  assert.equal(ig('*/*.c').ignores('src/x.c'), true);
  assert.equal(ig('*/*.c').ignores('src/sub/x.c'), false);
});

test('** matches any number of directories', () => {
  const d = ig('**/*.tmp\ndocs/**/draft\n');
  assert.equal(d.ignores('x.tmp'), true);
  assert.equal(d.ignores('a/b/c/x.tmp'), true);
  assert.equal(d.ignores('docs/draft'), true);
  assert.equal(d.ignores('docs/a/b/draft'), true);
  assert.equal(d.ignores('docs/a/b/draft/file'), true);
  assert.equal(d.ignores('other/draft'), false);
  assert.equal(ig('**').ignores('anything/at/all'), true);
});

test('! exceptions re-include; the last matching pattern wins', () => {
  const d = ig('*.md\n!README.md\nREADME-secret.md\n');
  assert.equal(d.ignores('CHANGES.md'), true);
  assert.equal(d.ignores('README.md'), false);
  assert.equal(d.ignores('README-secret.md'), true);
  const all = ig('*\n!src\n!Dockerfile\n');
  assert.equal(all.ignores('node_modules'), true);
  assert.equal(all.ignores('src/main.ts'), false, 'an exception naming a directory re-includes its contents');
  assert.equal(all.ignores('Dockerfile'), false);
  assert.equal(all.hasExceptions, true);
  assert.equal(ig('!x\nx').ignores('x'), true);
});

test('character classes and escapes as in filepath.Match', () => {
  assert.equal(ig('file[0-9].txt').ignores('file5.txt'), true);
  assert.equal(ig('file[0-9].txt').ignores('filex.txt'), false);
  assert.equal(ig('file[!0-9].txt').ignores('filex.txt'), true);
  assert.equal(ig('weird\\*name').ignores('weird*name'), true);
  assert.equal(ig('weird\\*name').ignores('weirdXname'), false);
  assert.equal(ig('a.b').ignores('axb'), false, 'regex metacharacters are literal');
});

test('mayIncludeBelow: a walk enters an ignored directory only for an exception that may match inside', () => {
  assert.equal(ig('vendor\n').mayIncludeBelow('vendor'), false);
  assert.equal(ig('vendor\n!vendor/keep.go\n').mayIncludeBelow('vendor'), true);
  assert.equal(ig('vendor\n!**/*.go\n').mayIncludeBelow('vendor'), true);
});
