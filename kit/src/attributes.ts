/** Span and log attribute names: the one list every service uses. */
export const Attr = {
  Service: 'berth.service',
  RpcMethod: 'rpc.method',
  ContainerId: 'berth.container.id',
  ContainerName: 'berth.container.name',
  ExecId: 'berth.exec.id',
  VolumeName: 'berth.volume.name',
  ImageRef: 'berth.image.ref',
  ImageId: 'berth.image.id',
  Digest: 'berth.digest',
  NetworkId: 'berth.network.id',
  Registry: 'berth.registry',
  Bytes: 'berth.bytes',
  ErrorRef: 'berth.error.ref',
} as const;
