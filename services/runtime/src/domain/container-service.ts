import { Attr, withSpan } from '@berth/kit';
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

  start(ref: string): Promise<void> {
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

  remove(ref: string, opts: { force: boolean }): Promise<void> {
    return this.span('container.Remove', ref, (id) => removeContainer(this.ctx, id, opts));
  }

  get(ref: string): Container {
    return findContainer(this.ctx, ref);
  }

  list(opts: ListOptions): Container[] {
    return listContainers(this.ctx, opts);
  }

  logs(ref: string, req: LogsRequest, signal?: AbortSignal): AsyncIterable<LogRecord> {
    return containerLogs(this.ctx, ref, req, signal);
  }

  private span<T>(name: string, ref: string, fn: (id: string) => Promise<T>): Promise<T> {
    return withSpan(name, { [Attr.ContainerId]: ref }, async (span) => {
      const id = findContainer(this.ctx, ref).id;
      span.setAttribute(Attr.ContainerId, id);
      return fn(id);
    });
  }
}
