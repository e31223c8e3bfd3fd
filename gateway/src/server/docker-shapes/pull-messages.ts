import type { image } from '@berth/proto';
import { progressText } from '../../format/progress-bar.js';

/** One line of Docker's JSON message stream (pull, push, build). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  errorDetail?: { message: string };
  error?: string;
}

/** Docker names a layer by the first 12 hex digits of its digest (stringid.TruncateID). */
const LAYER_ID = /^[0-9a-f]{12}$/;

/**
 * A progress message of the image service, which words them as Docker does ("Pulling from …",
 * "Pulling fs layer", "Downloading", "Digest: …", "Status: …"), in Docker's JSON. Layer lines carry
 * a `progressDetail` (empty when there are no byte counts): the docker CLI redraws a line in place
 * only for messages that have one, so the image-wide lines ("latest: Pulling from …") have none.
 */
export function pullProgress(p: image.PullProgress): JsonMessage {
  if (p.id === '') return { status: p.status };
  if (!LAYER_ID.test(p.id)) return { status: p.status, id: p.id };
  const msg: JsonMessage = { status: p.status, progressDetail: {}, id: p.id };
  if (p.total > 0 || p.current > 0) {
    msg.progressDetail = { current: p.current, total: p.total };
    msg.progress = progressText(p.current, p.total);
  }
  return msg;
}

/** An error after the stream has started: the HTTP status is already sent, so it goes in-band. */
export function pullError(message: string): JsonMessage {
  return { errorDetail: { message }, error: message };
}
