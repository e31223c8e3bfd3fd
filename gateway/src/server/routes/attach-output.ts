import { setTimeout as delay } from 'node:timers/promises';
import { BerthError, type Logger } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { Backends } from '../backends.js';
import { queryBool } from '../http-io.js';
import { encodeLogEntry, logContentType } from '../docker-shapes/log-stream.js';

export interface AttachSink {
  begin(contentType: string): void;
  write(chunk: Buffer): unknown;
  end(): void;
}

export interface AttachRequest {
  containers: Backends['containers'];
  id: string;
  query: URLSearchParams;
  signal: AbortSignal;
  logger: Logger;
}

/**
 * Attach, output side only: the runtime has no attach call yet, so the container's output is read
 * from its log from the moment of attaching, following until the container stops. That is what
 * `docker run` needs (it attaches, then starts). Input (`-i`) is not forwarded yet.
 *
 * `docker run` attaches before the container starts, and the runtime ends a follow at once for a
 * container that is not running; so this waits for the container to leave "created" first. The
 * runtime offers no "started" notification to wait on, hence polling: every 2 ms for the first
 * half second (`docker run` starts the container right after attaching), then backing off to
 * 100 ms. Once the log is open its content stays readable, but a container run with AutoRemove
 * that starts, exits and is removed between two polls loses its output here: the real fix is an
 * attach call in the runtime (conmon's attach socket), a later issue.
 */
export async function attachOutput(request: AttachRequest, sink: AttachSink): Promise<void> {
  const { containers, query, signal } = request;
  const attachedAt = Date.now();
  const { container } = await containers.getContainer({ id: request.id }, { signal });
  if (!container) throw new BerthError('not_found', `No such container: ${request.id}`);
  const tty = container.spec?.tty ?? false;
  sink.begin(logContentType(tty));
  const stream = queryBool(query, 'stream');
  const logs = queryBool(query, 'logs');
  if (!stream && !logs) return sink.end();
  try {
    if (stream) await untilStarted(containers, container.id, signal);
    const entries = containers.containerLogs(
      {
        id: container.id,
        follow: stream,
        stdout: queryBool(query, 'stdout'),
        stderr: queryBool(query, 'stderr'),
        since: logs ? '' : unixSince(attachedAt),
        until: '',
        tail: 'all',
      },
      { signal },
    );
    for await (const entry of entries) sink.write(encodeLogEntry(entry, { tty, timestamps: false }));
  } catch (err) {
    if (!signal.aborted) request.logger.warn({ err, container: container.id }, 'attach: output stream ended early');
  }
  sink.end();
}

const FAST_POLL_MS = 2;
const FAST_POLL_FOR_MS = 500;
const SLOW_POLL_MAX_MS = 100;

async function untilStarted(containers: Backends['containers'], id: string, signal: AbortSignal): Promise<void> {
  const fastUntil = Date.now() + FAST_POLL_FOR_MS;
  let pause = FAST_POLL_MS;
  for (;;) {
    const { container } = await containers.getContainer({ id }, { signal });
    if (!isCreated(container)) return;
    await delay(pause, undefined, { signal });
    if (Date.now() > fastUntil) pause = Math.min(pause * 2, SLOW_POLL_MAX_MS);
  }
}

function isCreated(container: runtime.Container | undefined): boolean {
  return container?.state?.status === 'created';
}

/** "seconds.nanoseconds", the runtime's `since`. */
export function unixSince(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, '0')}`;
}
