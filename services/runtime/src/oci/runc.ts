import { access } from 'node:fs/promises';
import { deleteStopped } from './runc-state.js';
import { startViaFifo } from './runc-start.js';
import path from 'node:path';
import { BerthError, runCommand } from '@berth/kit';
import type { OciRuntime, RuntimeState } from '../domain/ports.js';

/** runc's (and crun's, same CLI) container commands for one state root. */
export class OciRuntimeCli implements OciRuntime {
  constructor(
    readonly name: string,
    readonly binary: string,
    readonly root: string,
  ) {}

  private run(args: string[], okCodes?: number[]) {
    return runCommand(this.binary, ['--root', this.root, ...args], { timeoutMs: 30_000, ...(okCodes ? { okCodes } : {}) });
  }

  async start(id: string): Promise<void> {
    if (this.name === 'runc' && (await startViaFifo(this.root, id))) return;
    await this.run(['start', id]);
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /** `update -r -`: the OCI linux.resources object on stdin (runc orders memory/swap writes itself). */
  async update(id: string, resources: Record<string, unknown>): Promise<void> {
    await runCommand(this.binary, ['--root', this.root, 'update', '-r', '-', id], { timeoutMs: 30_000, input: JSON.stringify(resources) });
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
