import { BerthError } from '@berth/kit';
import { pushError, pushScope, registryEndpoint, type PushRequestOptions } from './blob-pusher.js';
import { sha256Of, verifyBytes } from './digest.js';
import { discard } from './http.js';
import { classifyManifest } from './media-types.js';
import { validateDigest, type Reference } from './reference.js';
import type { RegistryTransport } from './transport.js';
import { MAX_MANIFEST_BYTES } from './distribution-client.js';

type Repository = Pick<Reference, 'domain' | 'path'>;

const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * PUTs a manifest or index under a tag or its own digest, after checking that it is one berth
 * would pull (JSON, a known media type, not schema1) and that a digest reference matches the
 * bytes. The blobs (and, for an index, the child manifests) must already be in the repository:
 * the registry answers MANIFEST_BLOB_UNKNOWN otherwise (`failed_precondition`).
 */
export async function pushManifest(
  transport: RegistryTransport,
  repo: Repository,
  reference: string,
  mediaType: string,
  content: Buffer,
  opts: PushRequestOptions = {},
): Promise<{ digest: string; mediaType: string }> {
  if (content.length > MAX_MANIFEST_BYTES) {
    throw new BerthError('invalid_argument', `manifest is too large (${content.length} bytes, limit ${MAX_MANIFEST_BYTES})`);
  }
  const digest = sha256Of(content);
  if (reference.includes(':')) {
    validateDigest(reference);
    verifyBytes(content, reference);
  } else if (!TAG.test(reference)) {
    throw new BerthError('invalid_argument', `invalid tag ${JSON.stringify(reference)}`);
  }
  const classified = classifyManifest(mediaType || undefined, content, `manifest ${digest}`);
  const res = await transport.request(registryEndpoint(repo), {
    method: 'PUT',
    path: `/${repo.path}/manifests/${reference}`,
    headers: { 'content-type': classified.mediaType },
    body: content,
    scopes: [pushScope(repo)],
    ...opts,
  });
  if (res.status !== 201) throw await pushError(res, repo, `manifest ${reference}`);
  discard(res);
  const stored = res.headers['docker-content-digest'];
  const announced = Array.isArray(stored) ? stored[0] : stored;
  // A registry that stores something else than what was sent (a conversion) must not go unnoticed.
  if (announced && announced.startsWith('sha256:') && announced !== digest) {
    throw new BerthError('data_loss', `manifest ${reference}: registry stored ${announced}, sent ${digest}`);
  }
  return { digest: reference.includes(':') ? reference : digest, mediaType: classified.mediaType };
}
