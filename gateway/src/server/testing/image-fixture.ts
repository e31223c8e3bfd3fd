import type { image } from '@berth/proto';

/** An image record as the image service returns it, for shape tests and the server test's in-memory image service. */
export function imageFixture(over: Partial<image.Image> = {}): image.Image {
  return {
    id: 'sha256:' + 'a'.repeat(64),
    repoTags: ['busybox:latest'],
    repoDigests: ['busybox@sha256:' + 'd'.repeat(64)],
    created: '2024-01-01T00:00:00Z',
    size: 4_257_000,
    config: Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        comment: 'built in code',
        config: { Cmd: ['sh'], Env: ['PATH=/bin'], Labels: { a: 'b' } },
        rootfs: { type: 'layers', diff_ids: ['sha256:' + 'b'.repeat(64)] },
      }),
    ),
    diffIds: ['sha256:' + 'b'.repeat(64)],
    os: 'linux',
    architecture: 'amd64',
    variant: '',
    labels: { a: 'b' },
    manifestDigest: 'sha256:' + 'e'.repeat(64),
    containers: 2,
    parent: '',
    lastTagTime: '',
    ...over,
  };
}
