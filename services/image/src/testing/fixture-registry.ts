import { createReadStream } from 'node:fs';
import path from 'node:path';
import { BerthError } from '@berth/kit';
import { imageBlobs, type Image } from '@berth/fixtures';
import type { BlobChunk, RegistryClient, Resolved } from '../domain/registry.js';

/**
 * Test-only: a RegistryClient serving one built fixture image straight from its files (no
 * registry, no network), for tests of the store that need pulled content.
 */
export function fixtureRegistry(image: Image, repository = 'fixture.test/image'): RegistryClient {
  const blobs = new Map(imageBlobs(image).map((b) => [b.digest, b]));
  return {
    async resolve(): Promise<Resolved> {
      return { repository, tag: 'latest', digest: image.manifest.digest, manifestDigest: image.manifest.digest, manifestMediaType: image.manifest.mediaType, manifest: image.manifest.bytes! };
    },
    async getManifest(_repo, digest) {
      if (digest !== image.manifest.digest) throw new BerthError('not_found', `manifest ${digest} not found`);
      return { mediaType: image.manifest.mediaType, content: image.manifest.bytes! };
    },
    async *fetchBlob(_repo, digest, offset): AsyncIterable<BlobChunk> {
      const blob = blobs.get(digest);
      if (!blob) throw new BerthError('not_found', `blob ${digest} not found`);
      if (blob.bytes) {
        yield { data: blob.bytes.subarray(offset), totalSize: blob.size };
        return;
      }
      let first = true;
      for await (const data of createReadStream(blob.path ?? path.join(image.blobDir, 'sha256', digest.slice(7)), { start: offset })) {
        yield { data: data as Buffer, totalSize: first ? blob.size : 0 };
        first = false;
      }
    },
  };
}
