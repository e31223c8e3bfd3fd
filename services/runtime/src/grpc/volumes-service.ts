import type { Handlers } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { VolumeService } from '../domain/volume-service.js';
import type { VolumeView } from '../domain/volumes.js';
import { filtersFromProto } from './convert.js';

export function volumeToProto(v: VolumeView): runtime.Volume {
  return {
    name: v.name, driver: v.driver, mountpoint: v.mountpoint, createdAt: v.createdAt, labels: v.labels, options: v.options,
    scope: 'local', refCount: v.refCount, anonymous: v.anonymous,
  };
}

/** runtime.VolumesService: decode, call the domain, encode. */
export function volumesHandlers(volumes: VolumeService): Partial<Handlers<typeof runtime.VolumesService>> {
  return {
    createVolume: async (req) => ({
      volume: volumeToProto(await volumes.create({ name: req.name, driver: req.driver, labels: req.labels, options: req.driverOpts })),
    }),
    getVolume: async (req) => ({ volume: volumeToProto(volumes.get(req.name)) }),
    listVolumes: async (req) => ({ volumes: volumes.list(filtersFromProto(req.filters)).map(volumeToProto) }),
    removeVolume: async (req) => (await volumes.remove(req.name, req.force), {}),
    pruneVolumes: async (req) => {
      const res = await volumes.prune(filtersFromProto(req.filters));
      return { removed: res.removed, spaceReclaimed: res.bytes };
    },
  };
}
