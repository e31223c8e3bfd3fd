// Per-service deployment: every service on its own TCP port with mutual TLS, its own state dir;
// a run works end to end; clients without a certificate, or with one from another CA, are refused
// by every service and by the gateway's TCP listener (and the docker CLI works with --tlsverify).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createClient, type TlsFiles } from '@berth/kit';
import { health } from '@berth/proto';
import { berth, DOCKER_CLI } from './harness/cli.js';
import { startMtlsStack, MTLS_SERVICES, type MtlsStack } from './harness/mtls-stack.js';
import { spawnSync } from 'node:child_process';

let m: MtlsStack;
before(async () => {
  m = await startMtlsStack();
});
after(async () => {
  await m?.stop();
});

const files = (dir: string, name: string): TlsFiles => ({ ca: path.join(m.certs, 'ca.pem'), cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}-key.pem`) });

async function healthOf(address: string, tls?: TlsFiles): Promise<string> {
  const client = createClient(health.HealthService, address, tls ? { tls } : {});
  try {
    const res = await client.check({ service: '' }, { timeoutMs: 3000 });
    return res.status === health.HealthCheckResponse_ServingStatus.SERVING ? 'SERVING' : 'NOT_SERVING';
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  } finally {
    client.close();
  }
}

function ping(tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Promise<string> {
  const [host, port] = m.gatewayTcp.split(':');
  return new Promise((resolve) => {
    const req = https.get({ host, port: Number(port), servername: 'localhost', path: '/_ping', ...tls, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
      res.on('error', (err) => resolve(`refused: ${err.message}`));
    });
    req.on('error', (err) => resolve(`refused: ${err.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

test('a run works end to end with every service on TCP + mutual TLS and its own state dir', async () => {
  const run = await berth(m.s.socket, ['run', '--rm', m.s.busybox, 'sh', '-c', 'echo over-mtls; exit 4']);
  assert.equal(run.stdout, 'over-mtls\n', run.stderr);
  assert.equal(run.code, 4);
  for (const name of MTLS_SERVICES) assert.match(m.s.logs(name), /"address":"127\.0\.0\.1:\d+"/, `${name} listens on TCP`);
});

test('every service refuses clients without a certificate or with one from another CA', async () => {
  for (const name of MTLS_SERVICES) {
    const address = m.addresses[name]!;
    assert.equal(await healthOf(address, files(m.certs, 'client')), 'SERVING', `${name} with the client certificate`);
    assert.match(await healthOf(address), /^refused/, `${name} over plaintext`);
    assert.match(await healthOf(address, { ca: path.join(m.certs, 'ca.pem') }), /^refused/, `${name} without a client certificate`);
    assert.match(await healthOf(address, files(m.foreign, 'intruder')), /^refused/, `${name} with another CA's certificate`);
  }
});

test("the gateway's TCP listener requires a client certificate from the deployment's CA", async () => {
  const read = (dir: string, name: string) => ({ ca: readFileSync(path.join(m.certs, 'ca.pem')), cert: readFileSync(path.join(dir, `${name}.pem`)), key: readFileSync(path.join(dir, `${name}-key.pem`)) });
  assert.equal(await ping(read(m.certs, 'client')), '200 OK');
  assert.match(await ping({ ca: readFileSync(path.join(m.certs, 'ca.pem')) }), /^refused/);
  assert.match(await ping(read(m.foreign, 'intruder')), /^refused/);
});

test('the docker CLI works with --tlsverify against the gateway TCP listener, and fails without a certificate', async (t) => {
  if (!existsSync(DOCKER_CLI)) return t.skip(`no docker CLI at ${DOCKER_CLI}`);
  const tlsArgs = ['--tlsverify', '--tlscacert', path.join(m.certs, 'ca.pem'), '--tlscert', path.join(m.certs, 'client.pem'), '--tlskey', path.join(m.certs, 'client-key.pem')];
  const env = { PATH: process.env.PATH ?? '', HOME: m.certs, DOCKER_CONFIG: path.join(m.certs, 'docker-config') };
  const docker = (args: string[]) => spawnSync(DOCKER_CLI, ['-H', `tcp://${m.gatewayTcp}`, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  const run = docker([...tlsArgs, 'run', '--rm', '--network', 'none', m.s.busybox, 'echo', 'docker-over-tls']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'docker-over-tls\n');
  const anonymous = docker(['--tlsverify', '--tlscacert', path.join(m.certs, 'ca.pem'), 'version', '--format', '{{.Server.Version}}']);
  assert.notEqual(anonymous.status, 0);
  assert.match(anonymous.stderr, /certificate|tls|handshake|EOF|reset/i);
});
