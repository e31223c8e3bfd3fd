import { BerthError, clientFor, type BerthConfig, type Client } from '@berth/kit';
import { image, type types } from '@berth/proto';
import type { MountSpec } from '../domain/container.js';
import type { ImageInfo, ImageProvider } from '../domain/image-provider.js';

const toMount = (m: types.Mount): MountSpec => ({ type: m.type, source: m.source, target: m.target, options: m.options });

/** The image service (images and container snapshots) over gRPC. */
export class GrpcImageProvider implements ImageProvider {
  private readonly client: Client<typeof image.ImagesService>;

  constructor(address: string, config?: Pick<BerthConfig, 'tls'>) {
    this.client = clientFor(image.ImagesService, address, config);
  }

  async getImage(reference: string): Promise<ImageInfo> {
    const res = await this.client.getImage({ reference });
    if (!res.image) throw new BerthError('not_found', `No such image: ${reference}`);
    return { id: res.image.id, config: Buffer.from(res.image.config) };
  }

  async prepareSnapshot(key: string, imageId: string): Promise<MountSpec[]> {
    return (await this.client.prepareSnapshot({ key, image: imageId })).mounts.map(toMount);
  }

  async getSnapshotMounts(key: string): Promise<MountSpec[]> {
    return (await this.client.getSnapshotMounts({ key })).mounts.map(toMount);
  }

  async removeSnapshot(key: string): Promise<void> {
    await this.client.removeSnapshot({ key });
  }

  close(): void {
    this.client.close();
  }
}
