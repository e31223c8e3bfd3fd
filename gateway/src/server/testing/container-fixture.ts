import type { runtime } from '@berth/proto';
import { containerSpecFromDocker } from '../docker-shapes/container-spec.js';
import { emptyState } from '../docker-shapes/container-defaults.js';

/**
 * A container record as the runtime returns it, for shape tests (and the gateway's server test's
 * in-memory runtime). `overrides` replace top-level fields; `state` is merged.
 */
export function containerFixture(
  overrides: Partial<Omit<runtime.Container, 'state'>> & { state?: Partial<runtime.ContainerState> } = {},
): runtime.Container {
  const { state, ...rest } = overrides;
  return {
    id: 'c0ffee'.padEnd(64, '0'),
    name: 'web',
    imageId: 'sha256:' + 'a'.repeat(64),
    created: '2024-01-01T00:00:00.123456789Z',
    spec: containerSpecFromDocker({ Image: 'busybox', Cmd: ['sleep', '60'] }),
    state: { ...emptyState(), ...state },
    path: 'sleep',
    args: ['60'],
    restartCount: 0,
    logPath: '',
    runtime: 'runc',
    imageConfig: Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['sh'], Labels: { from: 'image' }, ExposedPorts: { '53/udp': {} } },
        rootfs: { type: 'layers', diff_ids: ['sha256:' + 'b'.repeat(64)] },
      }),
    ),
    rootfsMounts: [],
    netnsPath: '',
    networks: [{ config: { network: 'bridge', aliases: [], ipv4Address: '' }, networkId: 'b'.repeat(64) }],
    ports: [],
    ...rest,
  };
}
