import type { EventPublisher } from '@berth/kit';

/**
 * The image events berth publishes, in Docker's shape. Called only after the change is durable;
 * the publisher logs and counts its own failures and never throws.
 */
export class ImageEvents {
  constructor(private readonly publisher: EventPublisher) {}

  /** Actor: the familiar reference pulled ("busybox:latest"); name: its repository. */
  pull(reference: string, name: string): Promise<void> {
    return this.publish('pull', reference, { name });
  }

  tag(imageId: string, name: string): Promise<void> {
    return this.publish('tag', imageId, { name });
  }

  untag(imageId: string, name: string): Promise<void> {
    return this.publish('untag', imageId, { name });
  }

  /** Docker's save and load events name the image by its id. */
  save(imageId: string): Promise<void> {
    return this.publish('save', imageId, { name: imageId });
  }

  load(imageId: string): Promise<void> {
    return this.publish('load', imageId, { name: imageId });
  }

  /** Docker's import event names the new image by its id. */
  import(imageId: string): Promise<void> {
    return this.publish('import', imageId, { name: imageId });
  }

  /** Docker's commit is a container event: actor the container, with the new image's id and name. */
  commit(containerId: string, imageId: string, imageRef: string, comment: string): Promise<void> {
    return this.publisher.publish({ type: 'container', action: 'commit', actor: { id: containerId, attributes: { comment, imageID: imageId, imageRef } } });
  }

  delete(imageId: string): Promise<void> {
    return this.publish('delete', imageId, { name: imageId });
  }

  private publish(action: string, id: string, attributes: Record<string, string>): Promise<void> {
    return this.publisher.publish({ type: 'image', action, actor: { id, attributes } });
  }
}
