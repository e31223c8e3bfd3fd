import { Attr, SpanKind, startSpan, withSpan } from '@berth/kit';
import type { Container } from './container.js';
import type { RuntimeContext } from './context.js';
import { createContainer, type CreateRequest, type CreateResult } from './create-container.js';
import { restartContainer, startContainer } from './start-container.js';
import { killContainer, stopContainer, type StopOptions } from './stop-container.js';
import { removeContainer } from './remove-container.js';
import { waitContainer } from './wait-container.js';
import { findContainer, listContainers, type ListOptions } from './lookup.js';
import { containerLogs, type LogsRequest } from './container-logs.js';
import type { LogRecord } from '../logs/k8s-file.js';
import { pauseContainer, unpauseContainer } from './pause-container.js';
import { renameContainer } from './rename-container.js';
import { updateContainer, type UpdateRequest } from './update-container.js';
import { topContainer, type TopResult } from './top-container.js';
import { containerStats, type StatsSample } from './container-stats.js';
import type { StdioInput } from './stdio-input.js';
import { attachContainer, resizeContainer, type AttachOptions, type AttachOutput } from './attach-container.js';
import { connectNetwork, disconnectNetwork } from './network-attach.js';
import type { EndpointConfig } from './network-attachments.js';
import { archivePath, containerChanges, exportContainer, extractToContainer, statPath, type ArchivePart, type ExtractRequest } from './container-fs.js';
import type { Change } from '../archive/overlay-changes.js';
import type { PathStat } from '../archive/container-path.js';

/**
 * The runtime's use cases behind one object, each in a span `container.<Verb>`. The gRPC layer
 * only decodes, calls one of these, and encodes.
 */
export class ContainerService {
  constructor(private readonly ctx: RuntimeContext) {}

  create(req: CreateRequest): Promise<CreateResult> {
    return withSpan('container.Create', { [Attr.ContainerName]: req.name, [Attr.ImageRef]: req.spec.image }, async (span) => {
      const res = await createContainer(this.ctx, req);
      span.setAttribute(Attr.ContainerId, res.container.id);
      return res;
    });
  }

  start(ref: string): Promise<{ alreadyRunning: boolean }> {
    return this.span('container.Start', ref, (id) => startContainer(this.ctx, id));
  }

  stop(ref: string, opts: StopOptions): Promise<{ alreadyStopped: boolean }> {
    return this.span('container.Stop', ref, (id) => stopContainer(this.ctx, id, opts));
  }

  restart(ref: string, timeoutSeconds?: number): Promise<void> {
    return this.span('container.Restart', ref, (id) => restartContainer(this.ctx, id, timeoutSeconds));
  }

  kill(ref: string, signal: string): Promise<void> {
    return this.span('container.Kill', ref, (id) => killContainer(this.ctx, id, signal));
  }

  wait(ref: string, condition: string, signal?: AbortSignal): Promise<number> {
    return this.span('container.Wait', ref, (id) => waitContainer(this.ctx, id, condition, signal));
  }

  remove(ref: string, opts: { force: boolean; removeVolumes?: boolean }): Promise<void> {
    return this.span('container.Remove', ref, (id) => removeContainer(this.ctx, id, opts));
  }

  get(ref: string): Container {
    return findContainer(this.ctx, ref);
  }

  list(opts: ListOptions): Container[] {
    return listContainers(this.ctx, opts);
  }

  /** The OCI runtime new containers get, and every runtime this service drives. */
  runtimeInfo(): { ociRuntime: string; ociRuntimes: Record<string, string> } {
    return { ociRuntime: this.ctx.runtime.name, ociRuntimes: Object.fromEntries(this.ctx.runtime.runtimes().map((r) => [r.name, r.binary])) };
  }

  logs(ref: string, req: LogsRequest, signal?: AbortSignal): AsyncIterable<LogRecord> {
    return containerLogs(this.ctx, ref, req, signal);
  }

  pause(ref: string): Promise<void> {
    return this.span('container.Pause', ref, (id) => pauseContainer(this.ctx, id));
  }

  unpause(ref: string): Promise<void> {
    return this.span('container.Unpause', ref, (id) => unpauseContainer(this.ctx, id));
  }

  rename(ref: string, name: string): Promise<void> {
    return this.span('container.Rename', ref, (id) => renameContainer(this.ctx, id, name));
  }

  update(ref: string, req: UpdateRequest): Promise<string[]> {
    return this.span('container.Update', ref, (id) => updateContainer(this.ctx, id, req));
  }

  top(ref: string, psArgs: string): Promise<TopResult> {
    return this.span('container.Top', ref, () => topContainer(this.ctx, ref, psArgs));
  }

  stats(ref: string, opts: { stream: boolean; intervalMs: number }, signal?: AbortSignal): AsyncIterable<StatsSample> {
    return spanned('container.Stats', { [Attr.ContainerId]: ref }, containerStats(this.ctx, ref, opts, signal));
  }

  attach(ref: string, opts: AttachOptions, input: AsyncIterable<StdioInput>, signal?: AbortSignal): AsyncIterable<AttachOutput> {
    return spanned('container.Attach', { [Attr.ContainerId]: ref }, attachContainer(this.ctx, ref, opts, input, signal));
  }

  resize(ref: string, height: number, width: number): Promise<void> {
    return this.span('container.Resize', ref, (id) => resizeContainer(this.ctx, id, height, width));
  }

  connectNetwork(ref: string, endpoint: EndpointConfig): Promise<void> {
    return this.span('container.ConnectNetwork', ref, (id) => connectNetwork(this.ctx, id, endpoint));
  }

  disconnectNetwork(ref: string, network: string, force: boolean): Promise<void> {
    return this.span('container.DisconnectNetwork', ref, (id) => disconnectNetwork(this.ctx, id, network, force));
  }

  changes(ref: string): Promise<Change[]> {
    return this.span('container.Changes', ref, (id) => containerChanges(this.ctx, id));
  }

  statPath(ref: string, path: string): Promise<PathStat> {
    return this.span('container.StatPath', ref, (id) => statPath(this.ctx, id, path));
  }

  archivePath(ref: string, path: string, signal?: AbortSignal): AsyncIterable<ArchivePart> {
    const id = findContainer(this.ctx, ref).id;
    return spanned('container.ArchivePath', { [Attr.ContainerId]: id }, archivePath(this.ctx, id, path, signal));
  }

  extract(ref: string, req: ExtractRequest, tar: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
    return this.span('container.Extract', ref, (id) => extractToContainer(this.ctx, id, req, tar, signal));
  }

  export(ref: string, signal?: AbortSignal): AsyncIterable<Buffer> {
    const id = findContainer(this.ctx, ref).id;
    return spanned('container.Export', { [Attr.ContainerId]: id }, exportContainer(this.ctx, id, signal));
  }

  private span<T>(name: string, ref: string, fn: (id: string) => Promise<T>): Promise<T> {
    return withSpan(name, { [Attr.ContainerId]: ref }, async (span) => {
      const id = findContainer(this.ctx, ref).id;
      span.setAttribute(Attr.ContainerId, id);
      return fn(id);
    });
  }
}

/** A stream in one span, ended when the stream ends (or fails, or is abandoned). */
export async function* spanned<T>(name: string, attributes: Record<string, string>, source: AsyncGenerator<T>): AsyncGenerator<T> {
  const span = startSpan(name, attributes, undefined, SpanKind.INTERNAL);
  try {
    yield* source;
  } catch (err) {
    span.recordException(err as Error);
    throw err;
  } finally {
    span.end();
  }
}
