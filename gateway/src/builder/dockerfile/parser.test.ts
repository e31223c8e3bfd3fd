import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from './parser.js';
import { splitLines } from './lines.js';
import type { Instruction } from './instructions.js';

const only = (src: string): Instruction => {
  const df = parseDockerfile(`FROM busybox\n${src}\n`);
  assert.equal(df.stages[0]!.instructions.length, 1);
  return df.stages[0]!.instructions[0]!;
};

const parseError = (src: string, line: number, detail: RegExp) =>
  assert.throws(
    () => parseDockerfile(src),
    (err: Error & { kind?: string }) => {
      assert.equal(err.kind, 'invalid_argument');
      assert.match(err.message, new RegExp(`^Dockerfile parse error line ${line}: `));
      assert.match(err.message, detail);
      return true;
    },
  );

test('continuations join lines, keep inner whitespace, skip comments and empty lines inside', () => {
  const { lines } = splitLines('FROM busybox\nRUN echo a \\\n    b \\\n# a comment\n\n  c\n\nCMD x\n');
  assert.deepEqual(lines, [
    { text: 'FROM busybox', line: 1 },
    { text: 'RUN echo a     b   c', line: 2 },
    { text: 'CMD x', line: 8 },
  ]);
});

test('a continuation at the end of the file ends the instruction; CRLF and a BOM are accepted', () => {
  const { lines } = splitLines('\uFEFFFROM busybox\r\nRUN echo a \\\r\n');
  assert.deepEqual(lines.map((l) => l.text), ['FROM busybox', 'RUN echo a']);
});

test('# escape=` makes the backtick the continuation character and backslash literal', () => {
  const df = parseDockerfile('# escape=`\nFROM busybox\nRUN echo C:\\dir `\n  next\nCOPY a\\b c\\\n');
  assert.equal(df.escape, '`');
  const [run, copy] = df.stages[0]!.instructions;
  assert.deepEqual(run, { kind: 'run', line: 3, original: 'RUN echo C:\\dir   next', command: { json: false, args: ['echo C:\\dir   next'] } });
  assert.deepEqual(copy && copy.kind === 'copy' && copy.args, ['a\\b', 'c\\']);
});

test('directives only at the top: later ones are comments; unknown ones end the directives', () => {
  assert.equal(splitLines('FROM x\n# escape=`\nRUN a \\\n b\n').escape, '\\');
  assert.equal(splitLines('# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n').escape, '`');
  assert.deepEqual(splitLines('# syntax=docker/dockerfile:1\nFROM x\n').directives, { syntax: 'docker/dockerfile:1' });
  assert.equal(splitLines('# foo=bar\n# escape=`\nFROM x\n').escape, '\\');
  assert.equal(splitLines('\n# escape=`\nFROM x\n').escape, '\\');
  assert.throws(() => splitLines('# escape=x\nFROM a\n'), /invalid escape token 'x'/);
  assert.throws(() => splitLines('# escape=`\n# escape=\\\nFROM a\n'), /line 2: only one escape parser directive/);
});

test('comments are whole lines only; a # after an instruction is part of it', () => {
  assert.deepEqual((only('RUN echo hi # not a comment') as { command: unknown }).command, { json: false, args: ['echo hi # not a comment'] });
  assert.equal(parseDockerfile('  # indented comment\nFROM busybox\n').stages.length, 1);
});

test('FROM: image, AS name (lowercased), --platform, scratch, multi-stage, ARG before FROM', () => {
  const df = parseDockerfile('ARG BASE=busybox\nARG TAG\nFROM --platform=linux/amd64 ${BASE}:$TAG AS Builder\nRUN x\nfrom scratch\nCOPY --from=builder /a /b\n');
  assert.deepEqual(df.metaArgs.map((a) => a.args), [[{ name: 'BASE', defaultValue: 'busybox' }], [{ name: 'TAG' }]]);
  assert.equal(df.stages.length, 2);
  assert.deepEqual(df.stages[0]!.from, { kind: 'from', line: 3, original: 'FROM --platform=linux/amd64 ${BASE}:$TAG AS Builder', image: '${BASE}:$TAG', stageName: 'builder', platform: 'linux/amd64' });
  assert.equal(df.stages[1]!.from.image, 'scratch');
  assert.equal(df.stages[1]!.index, 1);
  parseError('FROM a b\n', 1, /FROM requires either one or three arguments/);
  parseError('FROM a AS\n', 1, /FROM requires either one or three arguments/);
  parseError('FROM a AS 1x\n', 1, /invalid name for build stage/);
  parseError('FROM --plat=x a\n', 1, /Unknown flag: plat/);
});

test('RUN, CMD, ENTRYPOINT: exec form when valid JSON of strings, shell form otherwise', () => {
  assert.deepEqual((only('RUN ["echo", "a b"]') as { command: unknown }).command, { json: true, args: ['echo', 'a b'] });
  assert.deepEqual((only('RUN [echo, a]') as { command: unknown }).command, { json: false, args: ['[echo, a]'] });
  assert.deepEqual((only('RUN ["echo", 1]') as { command: unknown }).command, { json: false, args: ['["echo", 1]'] });
  assert.deepEqual(only('cmd ["sh"]'), { kind: 'cmd', line: 2, original: 'cmd ["sh"]', command: { json: true, args: ['sh'] } });
  assert.deepEqual((only('ENTRYPOINT top -b') as { command: unknown }).command, { json: false, args: ['top -b'] });
  assert.deepEqual((only('CMD []') as { command: unknown }).command, { json: true, args: [] });
  parseError('FROM a\nRUN\n', 2, /RUN requires at least one argument/);
  parseError('FROM a\nRUN --mount=type=cache,target=/x true\n', 2, /--mount option requires BuildKit/);
});

test('SHELL needs JSON form', () => {
  assert.deepEqual(only('SHELL ["/bin/sh", "-ec"]'), { kind: 'shell', line: 2, original: 'SHELL ["/bin/sh", "-ec"]', shell: ['/bin/sh', '-ec'] });
  parseError('FROM a\nSHELL /bin/sh -c\n', 2, /SHELL requires the arguments to be in JSON form/);
});

test('COPY and ADD: words or JSON, flags --from --chown --chmod, at least two arguments', () => {
  assert.deepEqual(only('COPY --from=build --chown=1000:1000 --chmod=0755 a "b c" /dst/'), {
    kind: 'copy', line: 2, original: 'COPY --from=build --chown=1000:1000 --chmod=0755 a "b c" /dst/',
    args: ['a', '"b c"', '/dst/'], json: false, from: 'build', chown: '1000:1000', chmod: '0755',
  });
  assert.deepEqual(only('ADD ["a b", "/c"]'), { kind: 'add', line: 2, original: 'ADD ["a b", "/c"]', args: ['a b', '/c'], json: true });
  parseError('FROM a\nCOPY onlyone\n', 2, /COPY requires at least two arguments/);
  parseError('FROM a\nADD --from=x a b\n', 2, /Unknown flag: from/);
  parseError('FROM a\nCOPY --chown=1 --chown=2 a b\n', 2, /Duplicate flag specified: chown/);
});

test('ENV and LABEL: key=value pairs with quotes kept raw, and the legacy one-pair form', () => {
  assert.deepEqual((only('ENV A=1 B="two words" C=a\\ b D=') as { pairs: unknown }).pairs, [['A', '1'], ['B', '"two words"'], ['C', 'a\\ b'], ['D', '']]);
  assert.deepEqual((only('ENV GREETING hello   big world') as { pairs: unknown }).pairs, [['GREETING', 'hello   big world']]);
  assert.deepEqual((only('LABEL "com.example.x"="y z" version=1') as { pairs: unknown }).pairs, [['"com.example.x"', '"y z"'], ['version', '1']]);
  parseError('FROM a\nENV\n', 2, /ENV requires at least one argument/);
  parseError('FROM a\nENV ONLYKEY\n', 2, /ENV must have two arguments/);
  parseError('FROM a\nENV A=1 B\n', 2, /can't find = in "B"/);
  parseError('FROM a\nLABEL =x\n', 2, /LABEL names can not be blank/);
});

test('ARG: names with and without defaults, several per line', () => {
  assert.deepEqual((only('ARG A B=2 C="x y"') as { args: unknown }).args, [{ name: 'A' }, { name: 'B', defaultValue: '2' }, { name: 'C', defaultValue: '"x y"' }]);
  parseError('FROM a\nARG\n', 2, /ARG requires at least one argument/);
});

test('WORKDIR, USER, STOPSIGNAL, EXPOSE, VOLUME, MAINTAINER', () => {
  assert.deepEqual(only('WORKDIR /my dir'), { kind: 'workdir', line: 2, original: 'WORKDIR /my dir', value: '/my dir' });
  assert.deepEqual(only('USER nobody:nogroup'), { kind: 'user', line: 2, original: 'USER nobody:nogroup', value: 'nobody:nogroup' });
  assert.deepEqual(only('STOPSIGNAL SIGUSR1'), { kind: 'stopsignal', line: 2, original: 'STOPSIGNAL SIGUSR1', value: 'SIGUSR1' });
  assert.deepEqual(only('EXPOSE 80 443/tcp 53/udp'), { kind: 'expose', line: 2, original: 'EXPOSE 80 443/tcp 53/udp', values: ['80', '443/tcp', '53/udp'], json: false });
  assert.deepEqual(only('VOLUME ["/data", "/logs"]'), { kind: 'volume', line: 2, original: 'VOLUME ["/data", "/logs"]', values: ['/data', '/logs'], json: true });
  assert.deepEqual((only('VOLUME /a /b') as { values: unknown }).values, ['/a', '/b']);
  assert.equal(only('MAINTAINER someone <a@b.c>').kind, 'maintainer');
  parseError('FROM a\nUSER a b\n', 2, /USER requires exactly one argument/);
  parseError('FROM a\nWORKDIR\n', 2, /WORKDIR requires exactly one argument/);
  parseError('FROM a\nEXPOSE\n', 2, /EXPOSE requires at least one argument/);
});

test('HEALTHCHECK: NONE, CMD in both forms, duration and retry options', () => {
  assert.deepEqual(only('HEALTHCHECK NONE'), { kind: 'healthcheck', line: 2, original: 'HEALTHCHECK NONE', intervalNs: 0, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0, retries: 0 });
  const hc = only('HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --start-interval=1s --retries=3 CMD wget -q http://x/ || exit 1');
  assert.deepEqual(hc, {
    kind: 'healthcheck', line: 2, original: hc.original,
    intervalNs: 90e9, timeoutNs: 500e6, startPeriodNs: 2e9, startIntervalNs: 1e9, retries: 3,
    command: { json: false, args: ['wget -q http://x/ || exit 1'] },
  });
  assert.deepEqual((only('HEALTHCHECK CMD ["true"]') as { command: unknown }).command, { json: true, args: ['true'] });
  parseError('FROM a\nHEALTHCHECK --interval=10 CMD true\n', 2, /invalid duration for --interval: 10/);
  parseError('FROM a\nHEALTHCHECK --retries=x CMD true\n', 2, /invalid value for --retries/);
  parseError('FROM a\nHEALTHCHECK RUN true\n', 2, /Unknown type "RUN" in HEALTHCHECK/);
  parseError('FROM a\nHEALTHCHECK CMD\n', 2, /Missing command after HEALTHCHECK CMD/);
  parseError('FROM a\nHEALTHCHECK NONE x\n', 2, /HEALTHCHECK NONE takes no arguments/);
});

test('errors: unknown instruction, ONBUILD, no FROM, empty file; lines counted across continuations and comments', () => {
  parseError('# c\nFROM a\nRUN a \\\n  b\n\nFOO bar\n', 6, /unknown instruction: FOO/);
  parseError('FROM a\nONBUILD RUN x\n', 2, /ONBUILD is not supported/);
  parseError('\n\nRUN x\n', 3, /no build stage in current context/);
  parseError('# only a comment\n', 1, /file with no instructions/);
  parseError('ARG A=1\n', 1, /no FROM instruction/);
});

test('instructions are case-insensitive and keep their original text', () => {
  const df = parseDockerfile('from busybox as base\nrun echo hi\ncopy a b\n');
  assert.deepEqual(df.stages[0]!.instructions.map((i) => [i.kind, i.original]), [['run', 'run echo hi'], ['copy', 'copy a b']]);
  assert.equal(df.stages[0]!.from.stageName, 'base');
});
