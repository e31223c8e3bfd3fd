import { runCommand } from '@berth/kit';

const OVERLAY_OPAQUE = 'trusted.overlay.opaque';

/**
 * Whether a directory of an overlay layer is opaque (`trusted.overlay.opaque=y`): it hides what
 * the layers below have at its path. Node cannot read xattrs: getfattr (Debian attr), never
 * following a symlink (-h).
 */
export async function isOpaqueDir(path: string): Promise<boolean> {
  const { stdout, code } = await runCommand('getfattr', ['-h', '--absolute-names', '--only-values', '-n', OVERLAY_OPAQUE, path], {
    timeoutMs: 10_000,
    okCodes: [0, 1], // 1: no such attribute
  });
  return code === 0 && stdout === 'y';
}
