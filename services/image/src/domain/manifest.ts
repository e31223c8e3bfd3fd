import { createHash } from 'node:crypto';
import { BerthError, invalidArgument } from '@berth/kit/errors';
import { isDigest } from './reference.js';
import type { Descriptor, Platform } from './types.js';

/** Media types berth understands (Docker schema2 and OCI image-spec). */
export const MediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

export type Compression = 'gzip' | 'zstd' | 'none';

const LAYER_TYPES: Record<string, Compression> = {
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  // Non-distributable ("foreign") layers: same bytes; their descriptors may carry `urls`.
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
};

/** The compression of a layer media type; throws for types berth cannot unpack. */
export function layerCompression(mediaType: string): Compression {
  const c = LAYER_TYPES[mediaType];
  if (c === undefined) throw invalidArgument(`unsupported layer media type ${JSON.stringify(mediaType)}`);
  return c;
}

export interface Manifest {
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageConfigInfo {
  created: string;
  os: string;
  architecture: string;
  variant: string;
  labels: Record<string, string>;
  diffIds: string[];
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (err) {
    throw invalidArgument(`${what} is not valid JSON`, err);
  }
  throw invalidArgument(`${what} is not a JSON object`);
}

function descriptor(value: unknown, what: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (!d || typeof d.mediaType !== 'string' || typeof d.digest !== 'string' || !isDigest(d.digest) || typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw invalidArgument(`${what}: invalid descriptor`);
  }
  const urls = (value as { urls?: unknown }).urls;
  if (urls !== undefined && !(Array.isArray(urls) && urls.every((u) => typeof u === 'string'))) throw invalidArgument(`${what}: invalid urls`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(urls !== undefined && urls.length > 0 && { urls: urls as string[] }) };
}

/** Parses a single-platform manifest (Docker schema2 or OCI); indexes must be resolved before. */
export function parseManifest(bytes: Buffer, mediaType: string): Manifest {
  const manifest = readManifestDescriptors(bytes, mediaType);
  for (const layer of manifest.layers) layerCompression(layer.mediaType);
  return manifest;
}

/**
 * The descriptors of a single-platform manifest, whatever its layers are: what keeping or pushing
 * an index's content needs (an attestation manifest's layers are in-toto JSON, not tars).
 */
export function readManifestDescriptors(bytes: Buffer, mediaType: string): Manifest {
  const doc = parseJson(bytes, 'manifest');
  const type = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : mediaType;
  if (isIndexMediaType(type) || Array.isArray(doc['manifests'])) {
    throw invalidArgument('manifest is an index: no manifest for the requested platform was chosen');
  }
  if (doc['schemaVersion'] !== 2) throw invalidArgument(`unsupported manifest schema version ${String(doc['schemaVersion'])}`);
  if (!Array.isArray(doc['layers'])) throw invalidArgument('manifest has no layers array');
  const config = descriptor(doc['config'], 'manifest config');
  const layers = (doc['layers'] as unknown[]).map((l, i) => descriptor(l, `manifest layer ${i}`));
  return { config, layers };
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaTypes.dockerManifestList || mediaType === MediaTypes.ociIndex;
}

/** One entry of an index: a manifest, for a platform or (attestations, artifacts) none. */
export interface IndexEntry extends Descriptor {
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** The manifests an index (OCI index or Docker manifest list) lists. */
export function parseIndex(bytes: Buffer, what: string): IndexEntry[] {
  const doc = parseJson(bytes, what);
  if (doc['schemaVersion'] !== 2 || !Array.isArray(doc['manifests'])) throw invalidArgument(`${what} is not an index (schemaVersion 2 with manifests)`);
  return (doc['manifests'] as unknown[]).map((m, i) => {
    const d = descriptor(m, `${what} entry ${i}`);
    const { platform, annotations } = m as { platform?: Partial<Platform>; annotations?: unknown };
    const entry: IndexEntry = { ...d };
    if (platform && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
      entry.platform = { os: platform.os, architecture: platform.architecture, ...(typeof platform.variant === 'string' && platform.variant !== '' && { variant: platform.variant }) };
    }
    if (annotations && typeof annotations === 'object') entry.annotations = annotations as Record<string, string>;
    return entry;
  });
}

/** Reads what berth needs from an image config and checks the layer count against the manifest. */
export function parseImageConfig(bytes: Buffer, layerCount: number): ImageConfigInfo {
  const doc = parseJson(bytes, 'image config');
  const rootfs = doc['rootfs'] as { type?: unknown; diff_ids?: unknown } | undefined;
  const diffIds = rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isDigest(d))) {
    throw invalidArgument('image config has no valid rootfs.diff_ids');
  }
  if (diffIds.length !== layerCount) {
    throw invalidArgument(`image config lists ${diffIds.length} layers, the manifest ${layerCount}`);
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const inner = (doc['config'] ?? {}) as { Labels?: unknown };
  const labels: Record<string, string> = {};
  if (inner.Labels && typeof inner.Labels === 'object') {
    for (const [k, v] of Object.entries(inner.Labels)) if (typeof v === 'string') labels[k] = v;
  }
  return {
    created: str(doc['created']),
    os: str(doc['os']),
    architecture: str(doc['architecture']),
    variant: str(doc['variant']),
    labels,
    diffIds: diffIds as string[],
  };
}

/** OCI chain IDs: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : sha256(Buffer.from(`${prev} ${diffId}`)));
  }
  return out;
}

/** A digest mismatch: the registry (or the disk) gave us other bytes than were named. */
export function digestMismatch(what: string, expected: string, actual: string): BerthError {
  return new BerthError('data_loss', `${what}: digest mismatch: expected ${expected}, got ${actual}`);
}
