import type { image, types } from '@berth/proto';
import type { Filters } from '../domain/list.js';
import type { RegistryAuth } from '../domain/registry.js';
import type { DiskUsage } from '../domain/disk-usage.js';
import type { ImageView, Mount, Platform, PullProgress } from '../domain/types.js';

/** Domain ↔ proto, nothing else. */
export function imageToProto(v: ImageView): image.Image {
  return {
    id: v.id,
    repoTags: v.repoTags,
    repoDigests: v.repoDigests,
    created: v.created,
    size: v.size,
    config: v.config,
    diffIds: v.layers.map((l) => l.diffId),
    os: v.os,
    architecture: v.architecture,
    variant: v.variant,
    labels: v.labels,
    manifestDigest: v.manifestDigest,
    containers: v.containers,
    parent: v.parent ?? '',
    lastTagTime: v.lastTagTime === undefined ? '' : new Date(v.lastTagTime).toISOString(),
    indexDigest: v.index?.digest ?? '',
  };
}

export function progressToProto(p: PullProgress): image.PullProgress {
  return { id: p.id, status: p.status, current: p.current, total: p.total, ...(p.image && { image: imageToProto(p.image) }) };
}

export function mountToProto(m: Mount): types.Mount {
  return { type: m.type, source: m.source, target: m.target, options: m.options };
}

export function filtersFromProto(filters: types.Filter[]): Filters {
  const out: Filters = {};
  for (const f of filters) (out[f.key] ??= []).push(...f.values);
  return out;
}

export function platformFromProto(p: types.Platform | undefined): Platform | undefined {
  if (!p || (!p.os && !p.architecture && !p.variant)) return undefined;
  return { os: p.os, architecture: p.architecture, ...(p.variant && { variant: p.variant }) };
}

export function authFromProto(a: types.RegistryAuth | undefined): RegistryAuth | undefined {
  return a && { ...a };
}

export function diskUsageToProto(u: DiskUsage): image.DiskUsageResponse {
  return {
    images: u.images.map((i) => ({ image: imageToProto(i.image), sharedSize: i.sharedSize, uniqueSize: i.uniqueSize })),
    layersSize: u.layersSize,
    contentSize: u.contentSize,
    snapshots: u.snapshots,
  };
}
