// The .proto files are the public programmatic API: a Python client (Debian's python3-grpcio,
// stubs generated from proto/ at test time) pulls an image and runs a container over TCP +
// mutual TLS, without the gateway. The stubs come from protoc with grpc_python_plugin (Debian
// protobuf-compiler-grpc): Debian 12's python3-grpc-tools bundles protoc 3.5, which predates
// proto3 `optional` fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { protoRoot } from '@berth/kit';
import { startMtlsStack, type MtlsStack } from './harness/mtls-stack.js';

const PYTHON = '/usr/bin/python3'; // Debian's, where python3-grpcio and python3-grpc-tools live
const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../python/berth_client.py');
const PLUGIN = '/usr/bin/grpc_python_plugin';
const hasGrpc = existsSync(PYTHON) && existsSync(PLUGIN) && spawnSync(PYTHON, ['-c', 'import grpc'], { stdio: 'ignore' }).status === 0;

let m: MtlsStack | undefined;
let stubs: string;
before(async () => {
  if (!hasGrpc) return;
  stubs = mkdtempSync(path.join(os.tmpdir(), 'berth-pystubs-'));
  const root = protoRoot();
  const files = ['berth/types/v1/types.proto', 'berth/image/v1/image.proto', 'berth/runtime/v1/runtime.proto'];
  const gen = spawnSync('protoc', [`--plugin=protoc-gen-grpc_python=${PLUGIN}`, '-I', root, `--python_out=${stubs}`, `--grpc_python_out=${stubs}`, ...files], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  m = await startMtlsStack();
});
after(async () => {
  await m?.stop();
  if (stubs) rmSync(stubs, { recursive: true, force: true });
});

test('a Python gRPC client pulls and runs a container over TCP + mutual TLS', { skip: !hasGrpc && 'python3-grpcio / protobuf-compiler-grpc are not installed' }, () => {
  const cfg = {
    stubs,
    ca: path.join(m!.certs, 'ca.pem'),
    cert: path.join(m!.certs, 'client.pem'),
    key: path.join(m!.certs, 'client-key.pem'),
    image: m!.addresses.image,
    runtime: m!.addresses.runtime,
    ref: `${m!.s.busybox}:latest`,
  };
  const run = spawnSync(PYTHON, [script, JSON.stringify(cfg)], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { image_id: string; statuses: string[]; exit_code: number; logs: string; anonymous: string };
  assert.match(out.image_id, /^sha256:[0-9a-f]{64}$/);
  assert.ok(out.statuses.some((s) => s.startsWith('Status: Downloaded newer image')), out.statuses.join(' | '));
  assert.equal(out.exit_code, 5);
  assert.equal(out.logs, 'from-python\n');
  assert.equal(out.anonymous, 'UNAVAILABLE', 'no client certificate: refused at the handshake');
});
