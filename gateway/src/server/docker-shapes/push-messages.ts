import type { image } from '@berth/proto';
import { pullProgress, type JsonMessage } from './pull-messages.js';

/** A line of Docker's push stream: a JSON message, or the aux message that closes a tag. */
export type PushMessage = JsonMessage | { progressDetail: Record<string, never>; aux: { Tag: string; Digest: string; Size: number } };

/**
 * A push progress message of the image service in Docker's JSON: layer lines as a pull's (ids of
 * 12 hex with a progressDetail), and after "<tag>: digest: … size: N" the aux message the docker
 * CLI reads the pushed digest from (`{"progressDetail":{},"aux":{"Tag","Digest","Size"}}`).
 */
export function pushMessages(p: image.PushProgress): PushMessage[] {
  const line = pullProgress({ id: p.id, status: p.status, current: p.current, total: p.total });
  if (!p.pushed) return [line];
  return [line, { progressDetail: {}, aux: { Tag: p.pushed.tag, Digest: p.pushed.digest, Size: p.pushed.size } }];
}
