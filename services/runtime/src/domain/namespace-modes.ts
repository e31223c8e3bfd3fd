import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/kit';
import { Status, type Container, type ContainerSpec } from './container.js';
import type { RuntimeContext } from './context.js';
import { findContainer } from './lookup.js';

/** Namespaces joined from other containers, resolved at start. */
export interface SharedNamespaces {
  /** /proc/<pid>/ns/pid of --pid container:<x>. */
  pid?: string;
  /** /proc/<pid>/ns/ipc of --ipc container:<x>. */
  ipc?: string;
  /**
   * The host tmpfs to bind at /dev/shm: this container's own (--ipc shareable, mounted at start)
   * or the donor's (--ipc container:<x>), as Docker keeps them in the container's directory.
   */
  shm?: string;
}

const IPC_MODES = new Set(['', 'host', 'private', 'shareable', 'none']);
const target = (mode: string) => (mode.startsWith('container:') ? mode.slice('container:'.length) : undefined);

/** Docker's --pid, --ipc and --uts values (at create: a container named must exist). */
export function validateNamespaceModes(ctx: RuntimeContext, spec: ContainerSpec): void {
  const check = (what: string, mode: string, ok: boolean) => {
    if (!ok) throw new BerthError('invalid_argument', `invalid --${what} mode: ${mode}`);
    const other = target(mode);
    if (other !== undefined) findContainer(ctx, other);
  };
  check('pid', spec.pidMode, spec.pidMode === '' || spec.pidMode === 'host' || target(spec.pidMode) !== undefined);
  check('ipc', spec.ipcMode, IPC_MODES.has(spec.ipcMode) || target(spec.ipcMode) !== undefined);
  check('uts', spec.utsMode, spec.utsMode === '' || spec.utsMode === 'host');
  if (spec.shmSize !== undefined && spec.shmSize < 0) throw new BerthError('invalid_argument', 'SHM size can not be less than 0');
}

/** The namespaces to join, from containers that must be running now. */
export function sharedNamespaces(ctx: RuntimeContext, spec: ContainerSpec): SharedNamespaces {
  const running = (ref: string, what: string) => {
    const c = findContainer(ctx, ref);
    if ((c.state.status !== Status.Running && c.state.status !== Status.Paused) || c.state.pid <= 0) {
      throw new BerthError('failed_precondition', `cannot join ${what} of a non running container: ${ref}`);
    }
    return c.state.pid;
  };
  const out: SharedNamespaces = {};
  const pidTarget = target(spec.pidMode);
  if (pidTarget) out.pid = `/proc/${running(pidTarget, 'PID namespace')}/ns/pid`;
  const ipcTarget = target(spec.ipcMode);
  if (ipcTarget) {
    const donor = findContainer(ctx, ipcTarget);
    if (donor.spec.ipcMode !== 'shareable') {
      throw new BerthError('failed_precondition', `non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    }
    out.ipc = `/proc/${running(ipcTarget, 'IPC namespace')}/ns/ipc`;
    out.shm = shmDir(ctx, donor.id);
  }
  return out;
}

/** Where a shareable container's /dev/shm tmpfs is mounted on the host. */
export function shmDir(ctx: RuntimeContext, id: string): string {
  return path.join(ctx.paths.bundle(id), 'shm');
}

const DEFAULT_SHM_BYTES = 64 * 1024 * 1024;

/** --ipc shareable: its /dev/shm is a tmpfs on the host, so that others can join it. */
export async function mountShareableShm(ctx: RuntimeContext, c: Container): Promise<string | undefined> {
  if (c.spec.ipcMode !== 'shareable') return undefined;
  const dir = shmDir(ctx, c.id);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const opts = `nosuid,nodev,noexec,mode=1777,size=${c.spec.shmSize || DEFAULT_SHM_BYTES}`;
  await ctx.rootfs.mount([{ type: 'tmpfs', source: 'shm', target: '', options: opts.split(',') }], dir);
  return dir;
}
