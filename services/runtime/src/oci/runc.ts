import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { deleteStopped } from './runc-state.js';
import { startViaFifo } from './runc-start.js';
import { crunDeleteStopped, crunStartViaFifo } from './crun-state.js';
import path from 'node:path';
import { BerthError, runCommand } from '@berth/kit';
import type { OciRuntime, RuntimeState } from '../domain/ports.js';

/**
 * runc's (and crun's, same CLI) container commands for one state root. `binary` is what runs:
 * the runtime itself, or crun's v1-view wrapper on a cgroup-hybrid host (crun-v1-view.ts).
 */
export class OciRuntimeCli implements OciRuntime {
  constructor(
    readonly name: string,
    readonly binary: string,
    readonly root: string,
  ) {}

  async forContainer(): Promise<OciRuntime> {
    return this;
  }

  runtimes(): Array<{ name: string; binary: string }> {
    return [{ name: this.name, binary: this.binary }];
  }

  private run(args: string[], okCodes?: number[]) {
    return runCommand(this.binary, ['--root', this.root, ...args], { timeoutMs: 30_000, ...(okCodes ? { okCodes } : {}) });
  }

  async start(id: string): Promise<void> {
    if (this.name === 'runc' && (await startViaFifo(this.root, id))) return;
    if (this.name === 'crun' && (await crunStartViaFifo(this.root, id))) return;
    await this.run(['start', id]);
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /**
   * `update -r`: the OCI linux.resources object (the runtime orders memory/swap writes itself).
   * runc reads it from stdin (`-`); crun only from a file.
   */
  async update(id: string, resources: Record<string, unknown>): Promise<void> {
    const json = JSON.stringify(resources);
    if (this.name !== 'crun') {
      await runCommand(this.binary, ['--root', this.root, 'update', '-r', '-', id], { timeoutMs: 30_000, input: json });
      return;
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-update-'));
    try {
      const file = path.join(dir, 'resources.json');
      await writeFile(file, json, { mode: 0o600 });
      await this.run(['update', '-r', file, id]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    try {
      await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
    } catch (err) {
      // The container may have exited between our check and the signal: then there is nothing to do.
      const state = await this.state(id).catch(() => undefined);
      if (!state || state.status === 'stopped') return;
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    // The runtime keeps a container's state in <root>/<id>: without it there is nothing to delete (saves a fork).
    if (!(await access(path.join(this.root, id)).then(() => true, () => false))) return;
    if (this.name === 'runc' && (await deleteStopped(path.join(this.root, id)))) return;
    if (this.name === 'crun' && (await crunDeleteStopped(path.join(this.root, id)))) return;
    const res = await this.run(['delete', '--force', id], [0, 1]);
    if (res.code !== 0 && !/does not exist|not exist|no such file/i.test(res.stderr)) {
      throw new BerthError('internal', `${this.name} delete: ${res.stderr.trim()}`);
    }
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const res = await this.run(['state', id], [0, 1]);
    if (res.code !== 0) {
      if (/does not exist|not exist|no such file/i.test(res.stderr)) return undefined;
      throw new BerthError('internal', `${this.name} state: ${res.stderr.trim()}`);
    }
    const doc = JSON.parse(res.stdout) as { status: RuntimeState['status']; pid: number };
    return { status: doc.status, pid: doc.pid };
  }
}

/**
 * The chosen runtime, plus those the service used before (their state roots still hold
 * containers, e.g. runc's after crun became installed): each container stays with the runtime
 * that made it, since a runtime knows only its own state. New containers get the chosen one.
 */
export class RuntimeSet implements OciRuntime {
  constructor(
    private readonly chosen: OciRuntimeCli,
    private readonly earlier: readonly OciRuntimeCli[],
  ) {}

  get name(): string { return this.chosen.name; }
  get binary(): string { return this.chosen.binary; }
  get root(): string { return this.chosen.root; }

  runtimes(): Array<{ name: string; binary: string }> {
    return [this.chosen, ...this.earlier].map((r) => ({ name: r.name, binary: r.binary }));
  }

  async forContainer(id: string): Promise<OciRuntime> {
    if (this.earlier.length === 0) return this.chosen;
    const has = (r: OciRuntimeCli) => access(path.join(r.root, id)).then(() => true, () => false);
    if (await has(this.chosen)) return this.chosen;
    for (const r of this.earlier) if (await has(r)) return r;
    return this.chosen;
  }

  async start(id: string): Promise<void> { await (await this.forContainer(id)).start(id); }
  async pause(id: string): Promise<void> { await (await this.forContainer(id)).pause(id); }
  async resume(id: string): Promise<void> { await (await this.forContainer(id)).resume(id); }
  async update(id: string, resources: Record<string, unknown>): Promise<void> { await (await this.forContainer(id)).update(id, resources); }
  async kill(id: string, signal: number, all = false): Promise<void> { await (await this.forContainer(id)).kill(id, signal, all); }
  async delete(id: string): Promise<void> { await (await this.forContainer(id)).delete(id); }
  async state(id: string): Promise<RuntimeState | undefined> { return (await this.forContainer(id)).state(id); }
}
