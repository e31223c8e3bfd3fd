import { BerthError } from '@berth/kit';

/** Media types of the documents a registry serves. */
export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

/** What berth asks for, best first (schema1 is deliberately absent). */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(', ');

/** Registries sometimes answer with a generic type; the document's own `mediaType` then decides. */
export function isIndexType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isManifestType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string; 'os.version'?: string };
  annotations?: Record<string, string>;
}

export interface ManifestDoc {
  schemaVersion?: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/** The image config fields registry code needs (the platform of a single-platform manifest). */
export interface ImageConfigDoc {
  os?: string;
  architecture?: string;
  variant?: string;
}

/** Parses JSON as an object, or throws `data_loss` naming what was being read. */
export function parseJsonObject<T>(bytes: Buffer, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new BerthError('data_loss', `${what}: invalid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BerthError('data_loss', `${what}: not a JSON object`);
  }
  return value as T;
}

/**
 * The media type of a manifest document: the Content-Type header when it is a known manifest
 * type, otherwise the document's `mediaType`, otherwise its shape (as containerd does).
 * Schema1 is refused here, whatever way it is recognised.
 */
export function classifyManifest(contentType: string | undefined, bytes: Buffer, what: string): { mediaType: string; doc: ManifestDoc } {
  const header = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const doc = parseJsonObject<ManifestDoc>(bytes, what);
  if (header === MediaType.dockerSchema1 || header === MediaType.dockerSchema1Signed || doc.schemaVersion === 1) {
    throw new BerthError('failed_precondition', `${what}: schema1 manifests are not supported`);
  }
  let mediaType = isIndexType(header) || isManifestType(header) ? header : (doc.mediaType ?? '');
  if (!isIndexType(mediaType) && !isManifestType(mediaType)) {
    if (Array.isArray(doc.manifests)) mediaType = MediaType.ociIndex;
    else if (doc.config && Array.isArray(doc.layers)) mediaType = MediaType.ociManifest;
    else throw new BerthError('failed_precondition', `${what}: unsupported manifest media type ${JSON.stringify(header || doc.mediaType || '')}`);
  }
  if (isIndexType(mediaType) && !Array.isArray(doc.manifests)) {
    throw new BerthError('data_loss', `${what}: index without manifests`);
  }
  if (isManifestType(mediaType) && !(doc.config && Array.isArray(doc.layers))) {
    throw new BerthError('data_loss', `${what}: manifest without config or layers`);
  }
  return { mediaType, doc };
}
