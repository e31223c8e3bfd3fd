import { BerthError } from '@berth/kit';
import type { Credentials } from './auth.js';
import type { DistributionClient, FetchedManifest } from './distribution-client.js';
import { isIndexType, parseJsonObject, type ImageConfigDoc } from './media-types.js';
import { formatPlatform, normalizePlatform, platformRank, requestedPlatform, selectManifest, type Platform } from './platform.js';
import { familiarString, parseReference, repositoryName, withDefaultTag } from './reference.js';

export interface ResolveOptions {
  /** Empty fields mean the host's. */
  platform?: Partial<Platform>;
  creds?: Credentials;
  signal?: AbortSignal;
}

export interface Resolved {
  /** "docker.io/library/busybox", "127.0.0.1:5000/busybox" */
  repository: string;
  /** "" when the reference named only a digest. */
  tag: string;
  /** What the reference names (the RepoDigest): an index for multi-platform images. */
  digest: string;
  mediaType: string;
  /** The platform's manifest (the same as `digest` for a single-platform image). */
  manifestDigest: string;
  manifestMediaType: string;
  manifest: Buffer;
  platform: Platform;
  /** The index's bytes (verified), when the reference names one: a caller keeping the whole index needs them. */
  index?: Buffer;
}

/** Image configs are small; a huge one is an attack or a mistake. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/**
 * Reference → the manifest for one platform: the top-level document (by digest when the
 * reference has one, else by tag), then, for an index, the best manifest for the platform.
 */
export async function resolve(client: DistributionClient, reference: string, opts: ResolveOptions = {}): Promise<Resolved> {
  const ref = withDefaultTag(parseReference(reference));
  const { platform: want, explicit } = requestedPlatform(opts.platform);
  const req = { creds: opts.creds, signal: opts.signal };
  const top = await client.getManifest(ref, req);
  let chosen: FetchedManifest = top;
  let platform: Platform;
  if (isIndexType(top.mediaType)) {
    const desc = selectManifest(top.doc.manifests ?? [], want);
    chosen = await client.getManifest({ domain: ref.domain, path: ref.path, digest: desc.digest }, req);
    if (isIndexType(chosen.mediaType)) {
      throw new BerthError('failed_precondition', `${familiarString(ref)}: nested indexes are not supported`);
    }
    platform = normalizePlatform(desc.platform!);
  } else {
    platform = await configPlatform(client, ref, chosen, req);
    if (explicit && platformRank(want, platform) < 0) {
      throw new BerthError(
        'not_found',
        `image with reference ${familiarString(ref)} was found but does not match the specified platform: ` +
          `wanted ${formatPlatform(want)}, actual: ${formatPlatform(platform)}`,
      );
    }
  }
  return {
    repository: repositoryName(ref),
    tag: ref.tag ?? '',
    digest: top.digest,
    mediaType: top.mediaType,
    manifestDigest: chosen.digest,
    manifestMediaType: chosen.mediaType,
    manifest: chosen.content,
    platform,
    ...(chosen !== top && { index: top.content }),
  };
}

/** A single-platform manifest says its platform only in its config. */
async function configPlatform(
  client: DistributionClient,
  ref: { domain: string; path: string },
  manifest: FetchedManifest,
  req: { creds?: Credentials; signal?: AbortSignal },
): Promise<Platform> {
  const config = manifest.doc.config!;
  if (typeof config.size === 'number' && config.size > MAX_CONFIG_BYTES) {
    throw new BerthError('failed_precondition', `config ${config.digest} is too large (${config.size} bytes, limit ${MAX_CONFIG_BYTES})`);
  }
  const bytes = await client.readBlob(ref, config.digest, MAX_CONFIG_BYTES, req);
  const doc = parseJsonObject<ImageConfigDoc>(bytes, `config ${config.digest}`);
  return normalizePlatform({ os: doc.os ?? '', architecture: doc.architecture ?? '', variant: doc.variant ?? '' });
}
