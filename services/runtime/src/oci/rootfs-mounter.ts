import { mkdir, readFile } from 'node:fs/promises';
import { BerthError, runCommand } from '@berth/kit';
import type { MountSpec } from '../domain/container.js';
import type { RootfsMounter } from '../domain/ports.js';

/** Mount points of this mount namespace (field 5 of /proc/self/mountinfo, octal escapes decoded). */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').filter(Boolean).map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Mounts a container's snapshot (overlay, or a bind) with mount(8) and unmounts it with umount(8). */
export class CommandRootfsMounter implements RootfsMounter {
  async mount(mounts: MountSpec[], target: string): Promise<void> {
    if (mounts.length !== 1) throw new BerthError('internal', `expected one rootfs mount, got ${mounts.length}`);
    const m = mounts[0]!;
    await mkdir(target, { recursive: true, mode: 0o755 });
    if (await this.isMounted(target)) return;
    const opts = m.type === 'bind' ? ['bind', ...m.options.filter((o) => o !== 'bind' && o !== 'rbind')] : m.options;
    const args = m.type === 'bind' ? [] : ['-t', m.type];
    if (opts.length) args.push('-o', opts.join(','));
    await runCommand('mount', [...args, m.source, target], { timeoutMs: 30_000 });
  }

  async unmount(target: string): Promise<void> {
    for (let i = 0; i < 10 && (await this.isMounted(target)); i++) {
      // EBUSY right after the container's last process exits happens; a lazy unmount then detaches it.
      const lazy = i > 0;
      await runCommand('umount', lazy ? ['-l', target] : [target], { timeoutMs: 30_000 }).catch((err: unknown) => {
        if (lazy) throw err;
      });
    }
  }

  async isMounted(target: string): Promise<boolean> {
    return (await mountPoints()).includes(target);
  }
}
