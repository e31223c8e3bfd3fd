import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyChanges, mergeCommitConfig, words } from './change-instructions.js';

describe('applyChanges (docker commit/import --change)', () => {
  it('CMD and ENTRYPOINT: exec form from a JSON array, shell form otherwise', () => {
    assert.deepEqual(applyChanges({}, ['CMD ["cat","/x"]']).config.Cmd, ['cat', '/x']);
    assert.deepEqual(applyChanges({}, ['CMD echo hi there']).config.Cmd, ['/bin/sh', '-c', 'echo hi there']);
    assert.deepEqual(applyChanges({}, ['CMD [not json']).config.Cmd, ['/bin/sh', '-c', '[not json']);
    const e = applyChanges({ Cmd: ['sh'] }, ['ENTRYPOINT ["/bin/tool"]']);
    assert.deepEqual(e.config.Entrypoint, ['/bin/tool']);
    assert.equal(e.config.Cmd, null, 'an ENTRYPOINT without a CMD clears Cmd');
    const both = applyChanges({}, ['CMD ["a"]', 'ENTRYPOINT ["b"]']);
    assert.deepEqual(both.config.Cmd, ['a']);
    assert.equal(both.cmdSet, true);
  });

  it('ENV and LABEL: key=value pairs with quotes, and the legacy "key value" form', () => {
    const c = applyChanges({ Env: ['A=1', 'PATH=/bin'] }, ['ENV A=2 B="two words" C=x\\ y', 'ENV D some value', 'LABEL a=b "c d"=e']).config;
    assert.deepEqual(c.Env, ['PATH=/bin', 'A=2', 'B=two words', 'C=x y', 'D=some value']);
    assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e' });
  });

  it('EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, ONBUILD', () => {
    const c = applyChanges({ WorkingDir: '/app' }, ['expose 80 53/udp 8000-8001', 'VOLUME ["/data", "/logs"]', 'VOLUME /cache', 'USER app:app', 'WORKDIR sub', 'STOPSIGNAL SIGINT', 'ONBUILD RUN true']).config;
    assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
    assert.deepEqual(Object.keys(c.Volumes ?? {}), ['/data', '/logs', '/cache']);
    assert.equal(c.User, 'app:app');
    assert.equal(c.WorkingDir, '/app/sub');
    assert.equal(c.StopSignal, 'SIGINT');
    assert.deepEqual(c.OnBuild, ['RUN true']);
    assert.equal(applyChanges({ WorkingDir: '/app' }, ['WORKDIR /abs/../x']).config.WorkingDir, '/x');
  });

  it('refuses other instructions, missing arguments and bad values with invalid_argument', () => {
    const refused = (changes: string[], message: RegExp) =>
      assert.throws(() => applyChanges({}, changes), (err: Error & { kind?: string }) => err.kind === 'invalid_argument' && message.test(err.message));
    refused(['RUN rm -rf /'], /RUN is not a valid change command/);
    refused(['FROM busybox'], /not a valid change command/);
    refused(['ENV'], /requires at least one argument/);
    refused(['ENV lonely'], /must have two arguments/);
    refused(['LABEL =x'], /key=value/);
    refused(['EXPOSE http'], /invalid port/);
    refused(['EXPOSE 90-80'], /invalid port range/);
    refused(['USER a b'], /exactly one argument/);
    refused(['VOLUME [1]'], /JSON array of strings/);
    refused(['ENV A="open'], /unmatched/);
    refused(['ONBUILD FROM x'], /isn't allowed/);
  });

  it('does not modify its input', () => {
    const base = { Env: ['A=1'] };
    applyChanges(base, ['ENV B=2']);
    assert.deepEqual(base, { Env: ['A=1'] });
  });

  it('words splits like a Dockerfile line', () => {
    assert.deepEqual(words(` a  "b c" 'd "e"' f\\ g "h\\"i" `), ['a', 'b c', 'd "e"', 'f g', 'h"i']);
  });
});

describe('mergeCommitConfig (moby merge)', () => {
  const container = { User: 'app', Env: ['A=1', 'B=1'], Cmd: ['sh'], Entrypoint: null, WorkingDir: '/w', Labels: { l: '1' }, ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGTERM' };

  it('fills what the request leaves unset from the container; unions env, labels, ports', () => {
    const m = mergeCommitConfig({ Env: ['B=2'], Labels: { m: '2' }, ExposedPorts: { '53/udp': {} } }, container);
    assert.equal(m.User, 'app');
    assert.deepEqual(m.Env, ['B=2', 'A=1']);
    assert.deepEqual(m.Labels, { l: '1', m: '2' });
    assert.deepEqual(Object.keys(m.ExposedPorts ?? {}).sort(), ['53/udp', '80/tcp']);
    assert.deepEqual(m.Cmd, ['sh']);
    assert.equal(m.WorkingDir, '/w');
  });

  it('a request Cmd wins; a request Entrypoint keeps the container Cmd out', () => {
    assert.deepEqual(mergeCommitConfig({ Cmd: ['cat', '/x'] }, container).Cmd, ['cat', '/x']);
    const m = mergeCommitConfig({ Entrypoint: ['/bin/tool'], Cmd: null }, container);
    assert.deepEqual(m.Entrypoint, ['/bin/tool']);
    assert.equal(m.Cmd, null);
  });
});
