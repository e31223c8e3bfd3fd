import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { BerthError, errorKind, runCommand } from '@berth/kit';
import type { MountSpec } from '../domain/container.js';
import type { RootfsMounter } from '../domain/ports.js';
import { MNT_DETACH, overlayData, type PerlHelper } from './perl-helper.js';

/**
 * Mount points of this mount namespace (field 5 of /proc/self/mountinfo, octal escapes decoded).
 * Read synchronously: it is checked around every rootfs mount and unmount (see small-files.ts).
 */
export async function mountPoints(): Promise<string[]> {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text.split('\n').filter(Boolean).map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/**
 * Whether a filesystem other than its parent's is mounted on `target`: an overlay (or any mount
 * but a bind from the same filesystem) gives it a device of its own. Two stats instead of reading
 * all of mountinfo, whose length grows with every running container.
 */
function holdsOtherFilesystem(target: string): boolean {
  return statSync(target).dev !== statSync(path.dirname(target)).dev;
}

/**
 * Mounts a container's snapshot (overlay, or a bind) and unmounts it: a plain overlay through the
 * syscall helper when there is one (no process per call), everything else — and anything the
 * helper fails at, so errors read as before — with mount(8) and umount(8).
 */
export class CommandRootfsMounter implements RootfsMounter {
  constructor(private readonly syscalls?: PerlHelper) {}

  async mount(mounts: MountSpec[], target: string): Promise<void> {
    if (mounts.length !== 1) throw new BerthError('internal', `expected one rootfs mount, got ${mounts.length}`);
    const m = mounts[0]!;
    mkdirSync(target, { recursive: true, mode: 0o755 });
    if (m.type === 'bind' ? await this.isMounted(target) : holdsOtherFilesystem(target)) return;
    const data = this.syscalls?.available ? overlayData(m.type, m.options) : undefined;
    if (data !== undefined) {
      const done = await this.syscalls!.mount(m.source, target, 'overlay', 0, data).then(() => true, () => false);
      if (done || (await this.isMounted(target))) return; // (mounted, but the helper died before it answered)
    }
    const opts = m.type === 'bind' ? ['bind', ...m.options.filter((o) => o !== 'bind' && o !== 'rbind')] : m.options;
    const args = m.type === 'bind' ? [] : ['-t', m.type];
    if (opts.length) args.push('-o', opts.join(','));
    await runCommand('mount', [...args, m.source, target], { timeoutMs: 30_000 });
  }

  async unmount(target: string): Promise<void> {
    for (let i = 0; i < 10 && (await this.isMounted(target)); i++) {
      // EBUSY right after the container's last process exits happens; a lazy unmount then detaches it.
      const lazy = i > 0;
      if (this.syscalls?.available) {
        const outcome = await this.syscalls.umount(target, lazy ? MNT_DETACH : 0).then(
          () => 'done',
          (err: unknown) => (errorKind(err) === 'unavailable' ? 'unavailable' : 'refused'),
        );
        if (outcome === 'done' || (outcome === 'refused' && !lazy)) continue; // refused (EBUSY): lazily next
      }
      await runCommand('umount', lazy ? ['-l', target] : [target], { timeoutMs: 30_000 }).catch((err: unknown) => {
        if (lazy) throw err;
      });
    }
  }

  async isMounted(target: string): Promise<boolean> {
    return (await mountPoints()).includes(target);
  }
}
