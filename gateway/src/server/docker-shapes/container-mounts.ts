import type { runtime } from '@berth/proto';

/**
 * A bind that is a bare path is a volume Config.Volumes asked for (`-v /data`, an anonymous
 * volume: see container-spec.ts), not a host directory.
 */
export const isVolumePath = (bind: string): boolean => !bind.includes(':');

/**
 * Docker's MountPoint list (`Mounts` in ps and inspect) from the spec's binds (`/src:/dst[:ro]`)
 * and mounts. A bind whose source is not a path shows as a volume (withVolumeMounts puts in the
 * runtime's view of the volumes, anonymous ones included).
 */
export function mountPoints(spec: runtime.ContainerSpec): Array<Record<string, unknown>> {
  const points: Array<Record<string, unknown>> = [];
  for (const bind of spec.binds) {
    if (isVolumePath(bind)) continue;
    const [source = '', destination = '', mode = ''] = bind.split(':');
    const isPath = source.startsWith('/');
    points.push({
      Type: isPath ? 'bind' : 'volume',
      ...(isPath ? {} : { Name: source }),
      Source: isPath ? source : '',
      Destination: destination,
      Mode: mode,
      RW: !mode.split(',').includes('ro'),
      Propagation: isPath ? 'rprivate' : '',
    });
  }
  for (const m of spec.mounts) {
    points.push({
      Type: m.type,
      Source: m.source,
      Destination: m.target,
      Mode: '',
      RW: !m.options.includes('ro'),
      Propagation: m.type === 'bind' ? 'rprivate' : '',
    });
  }
  return points;
}
