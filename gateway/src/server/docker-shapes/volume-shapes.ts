import type { runtime } from '@berth/proto';
import { asObject, optString, optStringMap } from './json-fields.js';

/** Docker's Volume JSON. */
export function volumeJson(v: runtime.Volume): Record<string, unknown> {
  return {
    CreatedAt: v.createdAt, Driver: v.driver, Labels: v.labels, Mountpoint: v.mountpoint, Name: v.name, Options: v.options,
    Scope: v.scope, UsageData: { RefCount: v.refCount, Size: -1 },
  };
}

/** `POST /volumes/create`: Name, Driver, DriverOpts, Labels. */
export function volumeCreateFromDocker(body: unknown): runtime.CreateVolumeRequest {
  const b = asObject(body, 'VolumeCreateBody');
  return { name: optString(b, 'Name'), driver: optString(b, 'Driver'), labels: optStringMap(b, 'Labels'), driverOpts: optStringMap(b, 'DriverOpts') };
}
