import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isDataLoss, type Client } from '@berth/kit';
import { corruptBlob, ImageBuilder, pushImage, readBlob, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import type { registry } from '@berth/proto';
import { startService, type ServiceUnderTest } from '../testing/service-fixture.js';

type RegistryClient = Client<typeof registry.RegistryService>;

/** Reads a StreamBlob the way a caller does: socket bytes, then the call's verdict. */
async function streamBlob(client: RegistryClient, repository: string, digest: string, offset = 0) {
  const events = client.streamBlob({ repository, digest, offset, auth: undefined })[Symbol.asyncIterator]();
  const first = (await events.next()).value!;
  const bytes = await readSocket(first.socket, `${first.ticket}\n`);
  const verdict = await events.next().then(async (last) => ({ sent: last.value?.sent, end: await events.next() }));
  return { first, bytes, verdict };
}

function readSocket(path: string, hello: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const socket = net.createConnection(path, () => socket.write(hello));
    socket.on('data', (d) => parts.push(d));
    socket.on('end', () => resolve(Buffer.concat(parts)));
    socket.on('error', reject);
  });
}

describe('StreamBlob: blob bytes over the blob socket, verdict over gRPC', () => {
  let reg: RegistryFixture;
  let svc: ServiceUnderTest;
  let img: Image;

  before(async () => {
    [reg, svc] = await Promise.all([startRegistry(), startService()]);
    img = await new ImageBuilder().layer((l) => l.randomFile('data', 3 << 20, 'stream')).build();
    await pushImage(reg, 'stream', 'latest', img);
  });
  after(async () => {
    await svc?.close();
    await reg?.stop();
    await img?.dispose();
  });

  it('delivers the blob, then the bytes sent, then ends OK', async () => {
    const layer = img.layers[0]!;
    const { first, bytes, verdict } = await streamBlob(svc.client, `${reg.host}/stream`, layer.digest);
    assert.equal(first.totalSize, layer.size);
    assert.match(first.ticket, /^[a-f0-9]{64}$/);
    assert.ok(bytes.equals(Buffer.from(await readBlob(layer))));
    assert.equal(verdict.sent, layer.size);
    assert.equal(verdict.end.done, true);
  });

  it('streams from an offset', async () => {
    const layer = img.layers[0]!;
    const { bytes, verdict } = await streamBlob(svc.client, `${reg.host}/stream`, layer.digest, 1000);
    assert.ok(bytes.equals(Buffer.from(await readBlob(layer)).subarray(1000)));
    assert.equal(verdict.sent, layer.size - 1000);
  });

  it('ends the call with data_loss when the registry serves other bytes', async () => {
    const bad = await new ImageBuilder().layer((l) => l.randomFile('x', 1 << 20, 'bad')).build();
    try {
      await pushImage(reg, 'bad', 'latest', bad, { corruptBlobDigest: bad.layers[0]!.digest });
      await assert.rejects(streamBlob(svc.client, `${reg.host}/bad`, bad.layers[0]!.digest), (err) => isDataLoss(err));
    } finally {
      await bad.dispose();
    }
  });

  it('cuts off a connection without a valid ticket', async () => {
    const events = svc.client.streamBlob({ repository: `${reg.host}/stream`, digest: img.layers[0]!.digest, offset: 0, auth: undefined })[Symbol.asyncIterator]();
    const first = (await events.next()).value!;
    assert.deepEqual(await readSocket(first.socket, `${'0'.repeat(64)}\n`), Buffer.alloc(0));
    // The real ticket still works afterwards.
    const bytes = await readSocket(first.socket, `${first.ticket}\n`);
    assert.equal(bytes.length, img.layers[0]!.size);
    assert.equal((await events.next()).value!.sent, img.layers[0]!.size);
  });
});
