import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingestDir, isDataLoss, loadConfig, type Client } from '@berth/kit';
import { corruptBlob, ImageBuilder, pushImage, readBlob, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import type { registry } from '@berth/proto';
import { startService, type ServiceUnderTest } from '../testing/service-fixture.js';

type RegistryClient = Client<typeof registry.RegistryService>;

/** Reads a StreamBlob the way a caller does: socket bytes, then the call's verdict. */
async function streamBlob(client: RegistryClient, repository: string, digest: string, offset = 0, intoFile = '') {
  const events = client.streamBlob({ repository, digest, offset, auth: undefined, intoFile })[Symbol.asyncIterator]();
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
    const events = svc.client.streamBlob({ repository: `${reg.host}/stream`, digest: img.layers[0]!.digest, offset: 0, auth: undefined, intoFile: '' })[Symbol.asyncIterator]();
    const first = (await events.next()).value!;
    assert.deepEqual(await readSocket(first.socket, `${'0'.repeat(64)}\n`), Buffer.alloc(0));
    // The real ticket still works afterwards.
    const bytes = await readSocket(first.socket, `${first.ticket}\n`);
    assert.equal(bytes.length, img.layers[0]!.size);
    assert.equal((await events.next()).value!.sent, img.layers[0]!.size);
  });

  describe('into_file: the registry service writes the ingest file itself', () => {
    let ingest: string;
    let n = 0;
    /** A fresh empty file in the image service's ingest directory, as the image service makes them. */
    const emptyIngest = () => {
      const file = path.join(ingest, `layer-test-${++n}`);
      writeFileSync(file, '');
      return file;
    };
    before(() => {
      ingest = ingestDir(loadConfig({ env: {}, file: null, overrides: { stateRoot: svc.stateRoot } }));
      mkdirSync(ingest, { recursive: true });
    });

    it('fills the file and counts the bytes in it over the socket', async () => {
      const layer = img.layers[0]!;
      const file = emptyIngest();
      const { bytes, verdict } = await streamBlob(svc.client, `${reg.host}/stream`, layer.digest, 0, file);
      assert.equal(bytes.length % 8, 0, 'only 8-byte counts on the socket');
      const counts = Array.from({ length: bytes.length / 8 }, (_, i) => Number(bytes.readBigUInt64LE(i * 8)));
      assert.ok(counts.length >= 1);
      assert.ok(counts.every((c, i) => i === 0 || c > counts[i - 1]!), `counts grow: ${counts.join(' ')}`);
      assert.equal(counts.at(-1), layer.size);
      assert.equal(verdict.sent, layer.size);
      assert.equal(verdict.end.done, true);
      assert.ok(readFileSync(file).equals(Buffer.from(await readBlob(layer))));
    });

    it('ends with data_loss when the registry serves other bytes', async () => {
      const bad = await new ImageBuilder().layer((l) => l.randomFile('x', 1 << 20, 'bad-into')).build();
      try {
        await pushImage(reg, 'bad-into', 'latest', bad, { corruptBlobDigest: bad.layers[0]!.digest });
        await assert.rejects(streamBlob(svc.client, `${reg.host}/bad-into`, bad.layers[0]!.digest, 0, emptyIngest()), (err) => isDataLoss(err));
      } finally {
        await bad.dispose();
      }
    });

    it('writes nowhere but an empty regular file directly in the ingest directory', async () => {
      const digest = img.layers[0]!.digest;
      const outside = path.join(svc.stateRoot, 'outside');
      writeFileSync(outside, 'untouched');
      const link = path.join(ingest, 'layer-link');
      symlinkSync(outside, link);
      const full = emptyIngest();
      writeFileSync(full, 'partial');
      const refused = async (file: string, kind: string, offset = 0) => {
        await assert.rejects(streamBlob(svc.client, `${reg.host}/stream`, digest, offset, file), (err: Error & { kind?: string }) => {
          assert.equal(err.kind, kind, `${file}: ${err.message}`);
          return true;
        });
      };
      await refused(outside, 'permission_denied'); // not in the ingest directory
      await refused(path.join(ingest, '..', 'outside'), 'permission_denied'); // climbs out
      await refused(`${ingest}/./layer-x`, 'permission_denied'); // not in its plain form
      await refused('layer-x', 'permission_denied'); // relative
      await refused(path.join(ingest, 'sub', 'layer-x'), 'permission_denied'); // not directly in it
      await refused(link, 'permission_denied'); // a symbolic link, to a file outside
      await refused(ingest, 'permission_denied'); // the directory itself
      await refused(path.join(ingest, 'absent'), 'failed_precondition');
      await refused(full, 'failed_precondition'); // holds bytes already: a resume streams over the socket
      await refused(emptyIngest(), 'invalid_argument', 10); // only from offset 0
      assert.equal(readFileSync(outside, 'utf8'), 'untouched');
      assert.equal(readFileSync(full, 'utf8'), 'partial');
    });
  });
});
