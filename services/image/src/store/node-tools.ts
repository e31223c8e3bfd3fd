import { runCommand, type RunOptions } from '@berth/kit/command';

/** The runner signature of kit's runCommand, injectable so tests can count or fail calls. */
export type CommandRunner = (binary: string, args: readonly string[], options?: RunOptions) => Promise<{ stdout: string; code: number }>;

/**
 * What Node cannot do by itself on a filesystem: mknod and extended attributes. Every path given
 * here is absolute and has been checked to lie inside a snapshot with no symlink among its parents.
 */
export interface NodeTools {
  /** A character ('c') or block ('b') device, or a fifo ('p'), created with mode 0600. */
  mknod(path: string, kind: 'c' | 'b' | 'p', major: number, minor: number): Promise<void>;
  /** Sets an extended attribute on `path` itself (never through a symlink). */
  setXattr(path: string, name: string, value: Buffer): Promise<void>;
  /** Reads an extended attribute of `path` itself; undefined when unset. */
  getXattr(path: string, name: string): Promise<Buffer | undefined>;
}

/** NodeTools through the `mknod` (coreutils) and `setfattr`/`getfattr` (Debian attr) binaries. */
export class CommandNodeTools implements NodeTools {
  constructor(private readonly run: CommandRunner = runCommand) {}

  async mknod(path: string, kind: 'c' | 'b' | 'p', major: number, minor: number): Promise<void> {
    const args = kind === 'p' ? ['-m', '0600', path, 'p'] : ['-m', '0600', path, kind, String(major), String(minor)];
    await this.run('mknod', args, { timeoutMs: 10_000 });
  }

  async setXattr(path: string, name: string, value: Buffer): Promise<void> {
    await this.run('setfattr', ['-h', '-n', name, '-v', `0s${value.toString('base64')}`, path], { timeoutMs: 10_000 });
  }

  async getXattr(path: string, name: string): Promise<Buffer | undefined> {
    // Exit status 1 means "no such attribute"; -e base64 keeps binary values intact.
    const { stdout, code } = await this.run('getfattr', ['-h', '--absolute-names', '-e', 'base64', '-n', name, path], {
      timeoutMs: 10_000,
      okCodes: [0, 1],
    });
    if (code !== 0) return undefined;
    const line = stdout.split('\n').find((l) => l.startsWith(`${name}=`));
    if (line === undefined) return undefined;
    const value = line.slice(name.length + 1);
    return value.startsWith('0s') ? Buffer.from(value.slice(2), 'base64') : Buffer.from(value.replace(/^"|"$/g, ''));
  }
}

export const OVERLAY_OPAQUE = 'trusted.overlay.opaque';
