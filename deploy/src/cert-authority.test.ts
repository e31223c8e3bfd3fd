import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '@berth/kit';
import { makeCerts } from './cert-authority.js';

test('berth-certs: a CA and per-name certificates for both sides of mutual TLS', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-certs-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const made = await makeCerts(dir, ['runtime', 'client'], { altNames: ['IP:10.9.8.7'] });
  assert.deepEqual(Object.keys(made), ['runtime', 'client']);
  for (const name of ['runtime', 'client']) {
    const cert = made[name]!;
    const verify = await runCommand('openssl', ['verify', '-CAfile', cert.ca, '-purpose', 'sslserver', cert.cert]);
    assert.match(verify.stdout, /: OK/);
    await runCommand('openssl', ['verify', '-CAfile', cert.ca, '-purpose', 'sslclient', cert.cert]);
    assert.equal(statSync(cert.key).mode & 0o777, 0o600);
    const text = (await runCommand('openssl', ['x509', '-in', cert.cert, '-noout', '-text'])).stdout;
    for (const san of ['IP Address:127.0.0.1', 'DNS:localhost', `DNS:${os.hostname()}`, `DNS:${name}`, 'IP Address:10.9.8.7']) assert.ok(text.includes(san), san);
  }
  assert.equal(statSync(path.join(dir, 'ca-key.pem')).mode & 0o777, 0o600);
  // The CA is reused: a later name verifies against the same ca.pem.
  const caBefore = statSync(path.join(dir, 'ca.pem')).mtimeMs;
  const more = await makeCerts(dir, ['gateway']);
  assert.equal(statSync(path.join(dir, 'ca.pem')).mtimeMs, caBefore);
  await runCommand('openssl', ['verify', '-CAfile', more.gateway!.ca, more.gateway!.cert]);
  await assert.rejects(makeCerts(dir, ['../escape']), /invalid certificate name/);
});
