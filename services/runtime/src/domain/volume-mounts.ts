import { chmod, chown, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, runCommand } from '@berth/kit';
import { resolveInRoot } from '../oci/rootfs-path.js';
import type { OciMount } from '../oci/spec-defaults.js';
import type { Container, ContainerSpec } from './container.js';
import type { RuntimeContext } from './context.js';
import type { VolumeMount } from './volume.js';
import { createVolume, publishVolume, removeVolume, volumePath, volumeUsers } from './volumes.js';

/**
 * The volumes a spec asks for, as Docker reads them: binds whose source is a name
 * ("data:/srv[:ro][,nocopy]") or that are a bare path ("/srv": anonymous), `--mount type=volume`,
 * and the image's VOLUMEs not covered by another mount (anonymous). Name "" = anonymous.
 */
export function parseVolumeMounts(spec: ContainerSpec, imageVolumes: string[]): VolumeMount[] {
  const out: VolumeMount[] = [];
  const add = (name: string, destination: string, flags: string[]) => {
    if (!path.isAbsolute(destination) || path.normalize(destination) === '/') {
      throw new BerthError('invalid_argument', `invalid mount destination for volume: ${JSON.stringify(destination)}`);
    }
    out.push({ name, destination: path.normalize(destination), readOnly: flags.includes('ro') || flags.includes('readonly'),
      anonymous: name === '', noCopy: flags.includes('nocopy') || flags.includes('volume-nocopy') });
  };
  for (const bind of spec.binds) {
    const [source = '', target, mode = ''] = bind.split(':');
    if (target === undefined) add('', source, []);
    else if (!path.isAbsolute(source)) add(source, target, mode.split(','));
  }
  for (const m of spec.mounts) if (m.type === 'volume') add(m.source, m.target, m.options);
  const taken = new Set([
    ...out.map((v) => v.destination), ...spec.binds.map((b) => path.normalize(b.split(':')[1] ?? '')),
    ...spec.mounts.map((m) => path.normalize(m.target)), ...Object.keys(spec.tmpfs).map((t) => path.normalize(t)),
  ]);
  for (const dest of imageVolumes) if (!taken.has(path.normalize(dest))) add('', dest, []);
  return out;
}

/** At create: named volumes are made when missing (as Docker), anonymous ones always. */
export async function createContainerVolumes(ctx: RuntimeContext, wanted: VolumeMount[]): Promise<VolumeMount[]> {
  const made: VolumeMount[] = [];
  try {
    for (const w of wanted) {
      const v = await createVolume(ctx, { name: w.name, driver: 'local', labels: {}, options: {} }, w.anonymous);
      made.push({ ...w, name: v.name });
    }
    return made;
  } catch (err) {
    await removeAnonymousVolumes(ctx, made);
    throw err;
  }
}

/**
 * At start: the bind mounts of the container's volumes. An empty volume first gets a copy of what
 * the image has at the destination (Docker's copy-up, unless nocopy), ownership and mode included.
 */
export async function volumeOciMounts(ctx: RuntimeContext, c: Container): Promise<OciMount[]> {
  const out: OciMount[] = [];
  for (const m of c.volumes ?? []) {
    const data = volumePath(ctx, m.name);
    await mkdir(data, { recursive: true, mode: 0o755 });
    if (!m.noCopy) await copyUp(ctx.paths.rootfs(c.id), m.destination, data);
    out.push({ destination: m.destination, type: 'bind', source: data, options: ['rbind', m.readOnly ? 'ro' : 'rw', 'rprivate'] });
  }
  return out;
}

async function copyUp(rootfs: string, destination: string, data: string): Promise<void> {
  if ((await readdir(data)).length > 0) return;
  const src = await resolveInRoot(rootfs, destination);
  const st = await stat(src).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await chown(data, st.uid, st.gid);
  await chmod(data, st.mode & 0o7777);
  if ((await readdir(src)).length === 0) return;
  // cp -a copies symlinks as links (never through them), with owners, modes and times.
  await runCommand('cp', ['-a', '--', `${src}/.`, `${data}/`], { timeoutMs: 10 * 60_000 });
}

/** Docker's `rm -v` (and `--rm`): the container's anonymous volumes, unless another container uses them. */
export async function removeAnonymousVolumes(ctx: RuntimeContext, mounts: VolumeMount[]): Promise<void> {
  for (const m of mounts) {
    if (!m.anonymous || volumeUsers(ctx, m.name).length > 0) continue;
    await removeVolume(ctx, m.name, true).catch((err: unknown) => ctx.logger.warn({ err, volume: m.name }, 'anonymous volume left behind'));
  }
}

/** `volume mount` / `volume unmount` events, as Docker publishes them at start and stop. */
export async function publishVolumeMounts(ctx: RuntimeContext, c: Container, action: 'mount' | 'unmount'): Promise<void> {
  for (const m of c.volumes ?? []) {
    const extra: Record<string, string> = { container: c.id };
    if (action === 'mount') Object.assign(extra, { destination: m.destination, 'read/write': String(!m.readOnly), propagation: '' });
    await publishVolume(ctx, m.name, action, extra);
  }
}
