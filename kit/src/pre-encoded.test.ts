import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registry } from '@berth/proto';
import { startGrpcServer, serve } from './grpc-server.js';
import { createClient } from './grpc-client.js';
import { preEncoded } from './pre-encoded.js';
import { silentLogger } from './logger.js';

test('a handler may answer with bytes it encoded itself; others are encoded as usual', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-pre-'));
  const cached = registry.StatBlobResponse.encode({ size: 42, mediaType: 'cached' }).finish();
  const server = await startGrpcServer({
    name: 'pre',
    address: `unix://${dir}/p.sock`,
    logger: silentLogger(),
    services: [
      serve(registry.RegistryService, {
        statBlob: async (req) => (req.digest === 'cached' ? preEncoded<registry.StatBlobResponse>(cached) : { size: 1, mediaType: 'fresh' }),
      }),
    ],
  });
  const client = createClient(registry.RegistryService, server.address);
  t.after(async () => {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.deepEqual(await client.statBlob({ repository: 'r', digest: 'cached' }), { size: 42, mediaType: 'cached' });
  assert.deepEqual(await client.statBlob({ repository: 'r', digest: 'x' }), { size: 1, mediaType: 'fresh' });
});
