import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isNotFound } from '@berth/kit';
import { busyboxImage, MediaType, pushImage, readBlob, startRegistry, type Image, type RegistryFixture } from '@berth/fixtures';
import { startRegistryProxy } from '../testing/registry-proxy.js';
import { DistributionClient } from './distribution-client.js';
import { parseReference } from './reference.js';

describe('DistributionClient', () => {
  let image: Image;
  let reg: RegistryFixture;
  let client: DistributionClient;

  before(async () => {
    image = await busyboxImage({ format: 'docker' });
    reg = await startRegistry();
    await pushImage(reg, 'busybox', 'latest', image);
    client = new DistributionClient();
  });

  after(async () => {
    client?.close();
    await reg?.stop();
    await image?.dispose();
  });

  it('HEADs a manifest by tag', async () => {
    const head = await client.headManifest({ ...parseReference(`${reg.host}/busybox`), tag: 'latest' });
    assert.deepEqual(head, { digest: image.manifest.digest, mediaType: MediaType.dockerManifest, size: image.manifest.size });
    await assert.rejects(client.headManifest({ ...parseReference(`${reg.host}/busybox`), tag: 'nope' }), isNotFound);
  });

  it('follows a blob redirect to another host without sending the registry credentials there', async () => {
    const storageHeaders: Array<string | undefined> = [];
    // The "storage backend": another host name for loopback, which records what it was sent.
    const storage = await startRegistryProxy(reg.host, (req) => {
      storageHeaders.push(req.headers.authorization);
      return false;
    });
    const storagePort = storage.host.split(':')[1];
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
    // The "registry": demands Basic auth and redirects blob downloads to the storage host.
    const front = await startRegistryProxy(reg.host, (req, res) => {
      if (!req.url?.startsWith('/v2/busybox/')) return false;
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
        return true;
      }
      if (!req.url.includes('/blobs/')) return false;
      res.writeHead(307, { location: `http://localhost:${storagePort}${req.url}` }).end();
      return true;
    });
    try {
      const digest = image.layers[0]!.digest;
      const blob = await client.fetchBlob(parseReference(`${front.host}/busybox`), digest, { creds: { username: 'u', password: 'p' } });
      const parts: Buffer[] = [];
      for await (const chunk of blob.chunks) parts.push(chunk);
      assert.ok(Buffer.concat(parts).equals(await readBlob(image.layers[0]!)));
      assert.equal(storageHeaders.length, 1);
      assert.equal(storageHeaders[0], undefined, 'no Authorization header crossed the redirect');
    } finally {
      await Promise.all([front.close(), storage.close()]);
    }
  });
});
