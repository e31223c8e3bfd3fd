import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { LayerBuilder, tarStream } from '@berth/fixtures';
import { applyLayerTar } from '../store/layer-applier.js';
import { CommandNodeTools } from '../store/node-tools.js';

const run = promisify(execFile);

/** Applies the tar of `layer` to `root` with the real mknod/setfattr tools. */
export function applyLayer(root: string, layer: LayerBuilder | ((l: LayerBuilder) => unknown), lowers: string[] = [], devices: 'skip' | 'create' = 'skip') {
  const builder = layer instanceof LayerBuilder ? layer : new LayerBuilder();
  if (!(layer instanceof LayerBuilder)) layer(builder);
  return applyLayerTar(Readable.from(tarStream(builder.entries)), {
    root,
    lowers: async () => lowers,
    tools: new CommandNodeTools(),
    devices,
  });
}

/** Every path under `dir` (relative, sorted), without following symlinks. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      out.push(p);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk('');
  return out.sort();
}

export async function getXattr(file: string, name: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('getfattr', ['-h', '--absolute-names', '--only-values', '-n', name, file]);
    return stdout;
  } catch {
    return undefined; // getfattr exits 1 when the attribute is absent
  }
}

/** Mounts a read-only overlay of `lowers` (topmost first) at `target`; returns the unmount. */
export async function mountOverlay(lowers: string[], target: string): Promise<() => Promise<void>> {
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')}`, target]);
  return async () => {
    await run('umount', [target]);
  };
}

/** Linux's makedev for small numbers, to compare with Stats.rdev. */
export function makedev(major: number, minor: number): number {
  return (major << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}
