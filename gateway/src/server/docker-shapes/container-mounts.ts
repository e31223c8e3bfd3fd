import type { runtime } from '@berth/proto';

/**
 * Docker's MountPoint list (`Mounts` in ps and inspect) from the spec's binds (`/src:/dst[:ro]`)
 * and mounts. Named volumes are a later issue: a bind whose source is not a path shows as a volume.
 */
export function mountPoints(spec: runtime.ContainerSpec): Array<Record<string, unknown>> {
  const points: Array<Record<string, unknown>> = [];
  for (const bind of spec.binds) {
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
