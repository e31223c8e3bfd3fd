import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptySpec } from './container.js';
import { parseImageConfig } from './image-provider.js';
import { applyImageDefaults, mergeEnv, processArgs, processEnv } from './process-config.js';
import { generateName, normalizeName } from './names.js';
import { parseSignal } from './signals.js';

const image = parseImageConfig(Buffer.from(JSON.stringify({
  config: { Env: ['PATH=/bin', 'A=image'], Entrypoint: ['/ep'], Cmd: ['c1'], WorkingDir: '/w', User: 'app', StopSignal: 'SIGQUIT' },
})));

describe('process config', () => {
  it('merges the image config as moby does', () => {
    const spec = applyImageDefaults({ ...emptySpec('img'), env: ['A=req', 'B=req'] }, image);
    assert.deepEqual(spec.env, ['A=req', 'B=req', 'PATH=/bin']);
    assert.deepEqual([spec.entrypoint, spec.cmd, spec.workingDir, spec.user, spec.stopSignal], [['/ep'], ['c1'], '/w', 'app', 'SIGQUIT']);
    assert.deepEqual(processArgs(spec), ['/ep', 'c1']);
    assert.deepEqual(processArgs(applyImageDefaults({ ...emptySpec('img'), cmd: ['x'] }, image)), ['/ep', 'x']);
    assert.deepEqual(processArgs(applyImageDefaults({ ...emptySpec('img'), entrypoint: ['/mine'] }, image)), ['/mine']);
    assert.deepEqual(processArgs(applyImageDefaults({ ...emptySpec('img'), entrypoint: [] }, image)), ['c1']);
    assert.throws(() => processArgs(applyImageDefaults({ ...emptySpec('img'), entrypoint: [], cmd: [] }, { ...image, cmd: undefined })), /no command specified/);
  });

  it('builds the process env: defaults under the container env, HOME last', () => {
    const spec = { ...emptySpec('img'), env: ['PATH=/custom', 'X=1'], tty: true };
    assert.deepEqual(processEnv(spec, 'h1', '/root'), ['PATH=/custom', 'HOSTNAME=h1', 'TERM=xterm', 'X=1', 'HOME=/root']);
    assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['A', 'C=3']), ['B=2', 'C=3']);
  });

  it('validates and generates names', () => {
    assert.equal(normalizeName('/web'), 'web');
    assert.throws(() => normalizeName('-x'), /Invalid container name/);
    assert.throws(() => normalizeName('a'), /Invalid container name/);
    assert.match(generateName(), /^[a-z]+_[a-z]+$/);
    assert.match(generateName(1), /^[a-z]+_[a-z]+\d$/);
  });

  it('parses signals by name and number', () => {
    assert.equal(parseSignal('SIGTERM'), 15);
    assert.equal(parseSignal('kill'), 9);
    assert.equal(parseSignal('10'), 10);
    assert.equal(parseSignal('RTMIN+2'), 36);
    assert.throws(() => parseSignal('SIGNOPE'), /Invalid signal/);
    assert.throws(() => parseSignal('99'), /Invalid signal/);
  });
});
