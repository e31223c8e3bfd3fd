import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { decodeRegistryAuth } from '../server/docker-shapes/registry-auth.js';
import { DOCKER_HUB_KEY, DockerConfigFile, dockerConfigDir, registryAuthHeader, registryKey } from './registry-credentials.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-creds-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('registryKey: Docker Hub in all its spellings, other registries by host[:port]', () => {
  for (const s of ['', 'docker.io', 'index.docker.io', 'https://index.docker.io/v1/', 'registry-1.docker.io']) assert.equal(registryKey(s), DOCKER_HUB_KEY);
  assert.equal(registryKey('127.0.0.1:5000'), '127.0.0.1:5000');
  assert.equal(registryKey('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(registryKey('Registry.Example.com'), 'registry.example.com');
});

test('dockerConfigDir: DOCKER_CONFIG, else ~/.docker', () => {
  assert.equal(dockerConfigDir({ DOCKER_CONFIG: '/x/y', HOME: '/h' }), '/x/y');
  assert.equal(dockerConfigDir({ HOME: '/h' }), '/h/.docker');
});

test('store/get/erase keep the docker CLI format, other keys, and mode 0600', () =>
  withDir(async (dir) => {
    const file = new DockerConfigFile(path.join(dir, '.docker'));
    assert.equal(await file.get('127.0.0.1:5000'), undefined);
    await file.store('127.0.0.1:5000', { username: 'alice', password: 'p:w' });
    assert.equal((await stat(file.path)).mode & 0o777, 0o600);
    assert.equal((await stat(file.dir)).mode & 0o777, 0o700);
    const json = JSON.parse(await readFile(file.path, 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.deepEqual(json.auths, { '127.0.0.1:5000': { auth: Buffer.from('alice:p:w').toString('base64') } });
    assert.deepEqual(await file.get('http://127.0.0.1:5000/'), { username: 'alice', password: 'p:w' });

    // Other content of the file survives; an identity token replaces the password.
    await writeFile(file.path, JSON.stringify({ ...json, psFormat: 'table' }));
    await file.store('127.0.0.1:5000', { username: 'alice', password: '', identityToken: 'refresh' });
    const after = JSON.parse(await readFile(file.path, 'utf8')) as Record<string, unknown>;
    assert.equal(after['psFormat'], 'table');
    assert.deepEqual(await file.get('127.0.0.1:5000'), { username: 'alice', password: '', identityToken: 'refresh' });

    assert.equal(await file.erase('127.0.0.1:5000'), true);
    assert.equal(await file.erase('127.0.0.1:5000'), false);
    assert.equal(await file.get('127.0.0.1:5000'), undefined);
  }));

test('a broken config.json or auth entry is a clear error, not a crash', () =>
  withDir(async (dir) => {
    const file = new DockerConfigFile(dir);
    await writeFile(file.path, '{not json');
    await assert.rejects(file.get('r:1'), /config\.json: invalid config file/);
    await writeFile(file.path, JSON.stringify({ auths: { 'r:1': { auth: Buffer.from('no-colon').toString('base64') } } }));
    await assert.rejects(file.get('r:1'), /invalid auth entry/);
  }));

test('the X-Registry-Auth header the CLI sends is what the gateway decodes', () => {
  const header = registryAuthHeader({ username: 'alice', password: 's3cret?>' }, '127.0.0.1:5000')!;
  assert.doesNotMatch(header, /[+/=]/, 'base64url without padding');
  assert.deepEqual(decodeRegistryAuth(header), { username: 'alice', password: 's3cret?>', identityToken: '', registryToken: '', serverAddress: '127.0.0.1:5000' });
  const token = decodeRegistryAuth(registryAuthHeader({ username: 'alice', password: '', identityToken: 'tok' }, 'r:1'));
  assert.equal(token?.identityToken, 'tok');
  assert.equal(token?.password, '');
  assert.equal(registryAuthHeader(undefined, 'r:1'), undefined);
});
