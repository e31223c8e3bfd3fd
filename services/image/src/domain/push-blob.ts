import { BerthError, errorKind } from '@berth/kit';
import type { ContentStore } from './content-store.js';
import { remoteName } from './reference.js';
import type { PushRegistryDeps } from './push-registry.js';
import type { RegistryAuth } from './registry.js';
import type { Descriptor } from './types.js';

/** One line of a push's progress, in Docker's vocabulary. */
export interface PushProgress {
  /** Short diff id of a layer (12 hex), or "" for image-wide lines. */
  id: string;
  status: string;
  current: number;
  total: number;
  /** Set on the "<tag>: digest: … size: N" line (Docker's aux message). */
  pushed?: { tag: string; digest: string; size: number };
}

export type PushEmit = (p: PushProgress) => void;

/** One blob of a push: a layer (with a progress line) or the config (without one). */
export interface BlobJob {
  repository: string;
  descriptor: Descriptor;
  /** The progress line's id; undefined for the config, which Docker does not show. */
  id?: string;
  /** Repositories of the same registry this image came from: candidates for a mount. */
  mountFrom: string[];
  auth?: RegistryAuth;
}

/** Progress is sent at most every 100 ms or 512 KiB, as Docker's progress reader does. */
const PROGRESS_INTERVAL_MS = 100;
const PROGRESS_BYTES = 512 * 1024;

const FOREIGN = /foreign|nondistributable/;

/**
 * Moby's pushDescriptor.Upload: a blob the registry has is skipped ("Layer already exists"), one
 * another repository of the registry has is mounted ("Mounted from library/busybox"), anything
 * else is uploaded from the content store with byte progress ("Pushing", then "Pushed"). Foreign
 * layers are not pushed (they live at their URLs), as Docker does by default.
 */
export async function pushBlob(deps: PushRegistryDeps, job: BlobJob, emit: PushEmit, signal: AbortSignal): Promise<void> {
  const { registry } = deps;
  const { repository, descriptor, auth } = job;
  const line = (status: string, current = 0, total = 0): void => {
    if (job.id !== undefined) emit({ id: job.id, status, current, total });
  };
  if (FOREIGN.test(descriptor.mediaType)) return line('Skipped foreign layer');
  if (await registry.blobExists(repository, descriptor.digest, auth, signal)) return line('Layer already exists');
  for (const from of job.mountFrom) {
    if (await tryMount(deps, job, from, signal)) return line(`Mounted from ${remoteName(from)}`);
  }
  const stored = await deps.content.info(descriptor.digest);
  if (!stored) {
    throw new BerthError(
      'failed_precondition',
      `blob ${descriptor.digest} is not in the local content store and ${repository} does not have it: ` +
        'the image was not pulled from a registry with this layer (pull it again, or push from the engine that has it)',
    );
  }
  const outcome = await registry.pushBlob(
    repository,
    { digest: descriptor.digest, size: stored.size, data: readWithProgress(deps.content, descriptor.digest, stored.size, line) },
    auth,
    signal,
  );
  if (outcome === 'exists') return line('Layer already exists');
  line('Pushed');
}

/** A declined or failed mount is not an error: the blob is uploaded instead (Docker's behaviour). */
async function tryMount(deps: PushRegistryDeps, job: BlobJob, from: string, signal: AbortSignal): Promise<boolean> {
  try {
    return await deps.registry.mountBlob(job.repository, job.descriptor.digest, from, job.auth, signal);
  } catch (err) {
    if (signal.aborted || errorKind(err) === 'cancelled' || errorKind(err) === 'unavailable') throw err;
    deps.logger.debug({ repository: job.repository, from, digest: job.descriptor.digest, err: (err as Error).message }, 'mount failed, uploading');
    return false;
  }
}

async function* readWithProgress(
  content: ContentStore,
  digest: string,
  total: number,
  line: (status: string, current: number, total: number) => void,
): AsyncGenerator<Uint8Array> {
  let sent = 0;
  let shownBytes = 0;
  let shownAt = 0;
  line('Pushing', 0, total);
  for await (const chunk of await content.reader(digest)) {
    const bytes = chunk as Buffer;
    yield bytes;
    sent += bytes.length;
    const now = Date.now();
    if (sent - shownBytes >= PROGRESS_BYTES || now - shownAt >= PROGRESS_INTERVAL_MS || sent === total) {
      line('Pushing', sent, total);
      shownBytes = sent;
      shownAt = now;
    }
  }
}
