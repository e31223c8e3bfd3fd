import { Attr, withSpan } from '@berth/kit';
import type { RuntimeContext } from './context.js';
import { spanned } from './container-service.js';
import { createExec, resizeExec, startExec, type ExecOutput, type StartExecOptions } from './exec-container.js';
import type { ExecConfig, ExecRecord } from './exec-store.js';
import { findContainer } from './lookup.js';
import type { StdioInput } from './stdio-input.js';

/** Exec use cases (`exec.<Verb>` spans), beside ContainerService. */
export class ExecService {
  constructor(private readonly ctx: RuntimeContext) {}

  create(ref: string, config: ExecConfig): Promise<ExecRecord> {
    return withSpan('exec.Create', { [Attr.ContainerId]: ref }, () => createExec(this.ctx, ref, config));
  }

  start(id: string, opts: StartExecOptions, input: AsyncIterable<StdioInput>, signal?: AbortSignal): AsyncIterable<ExecOutput> {
    return spanned('exec.Start', { [Attr.ExecId]: id }, startExec(this.ctx, id, opts, input, signal));
  }

  get(id: string): ExecRecord {
    return this.ctx.execs.get(id);
  }

  /** The execs of a container (Docker's ExecIDs). */
  idsOf(containerRef: string): string[] {
    return this.ctx.execs.forContainer(findContainer(this.ctx, containerRef).id).map((e) => e.id);
  }

  resize(id: string, height: number, width: number): Promise<void> {
    return withSpan('exec.Resize', { [Attr.ExecId]: id }, () => resizeExec(this.ctx, id, height, width));
  }
}
