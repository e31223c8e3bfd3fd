import { BerthError } from '@berth/kit';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { resolveInRoot } from '../oci/rootfs-path.js';
import { baseName, resolveContainerPath, statContainerPath, type PathStat } from '../archive/container-path.js';
import { overlayChanges, type Change } from '../archive/overlay-changes.js';
import { overlayLayers } from '../archive/overlay-layers.js';
import { packTree } from '../archive/tar-pack.js';
import { unpackTar } from '../archive/tar-unpack.js';
import { isOpaqueDir } from '../archive/xattr.js';
import type { Container } from './container.js';
import { mustGet, type RuntimeContext } from './context.js';
import { leaseRootfs } from './rootfs-lease.js';

/**
 * `docker diff`, `cp` and `export`: the container's own filesystem (its rootfs snapshot), running
 * or not. Volumes and bind mounts are not part of it (they live elsewhere on the host), as the
 * runtime's mount points are not (see changeSkipper).
 */

export async function containerChanges(ctx: RuntimeContext, id: string): Promise<Change[]> {
  const c = mustGet(ctx, id);
  const layers = overlayLayers(c.rootfsMounts.length ? c.rootfsMounts : await ctx.images.getSnapshotMounts(id));
  // The upper dir is read directly, but under the lease: a running container is frozen meanwhile.
  const lease = await leaseRootfs(ctx, id, { mount: false });
  try {
    return await overlayChanges({ ...layers, isOpaque: isOpaqueDir, skip: changeSkipper(c) });
  } finally {
    await lease.release();
  }
}

/**
 * What Docker keeps in a container's init layer (so that `docker diff` never shows it) and the
 * mount points of its volumes, binds and tmpfs: runc makes these in the upper dir when the image
 * lacks them. The kernel filesystems are left out with all below them.
 */
const INIT_PATHS = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/mtab', '/.dockerenv', '/.containerenv'];
const KERNEL_DIRS = ['/dev', '/proc', '/sys'];

export function changeSkipper(c: Container): (p: string) => boolean {
  const exact = new Set(INIT_PATHS);
  const trees = [...KERNEL_DIRS, ...mountDestinations(c)];
  return (p) => exact.has(p) || trees.some((t) => under(p, t));
}

/** Where the container's volumes, binds and tmpfs are mounted (container paths, clean). */
function mountDestinations(c: Container): string[] {
  const out = [...(c.volumes ?? []).map((v) => v.destination), ...c.spec.mounts.map((m) => m.target), ...Object.keys(c.spec.tmpfs)];
  for (const b of c.spec.binds) {
    const parts = b.split(':');
    if (parts[1]) out.push(parts[1]);
  }
  return out.map((d) => path.posix.join('/', d));
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

/**
 * cp reads and writes the container's own filesystem: a path in a volume, bind mount or tmpfs
 * would silently name what the mount hides, so it is refused (not supported yet).
 */
function refuseMounted(c: Container, root: string, host: string): void {
  const inContainer = `/${path.relative(root, host)}`;
  const m = mountDestinations(c).find((d) => under(inContainer, d));
  if (m !== undefined) throw new BerthError('failed_precondition', `${inContainer} is in the mount at ${m}: copying to or from volumes, bind mounts and tmpfs is not supported`);
}

export async function statPath(ctx: RuntimeContext, id: string, asked: string): Promise<PathStat> {
  const lease = await leaseRootfs(ctx, id);
  try {
    const resolved = await resolveContainerPath(lease.root, asked);
    refuseMounted(mustGet(ctx, id), lease.root, resolved.host);
    return (await statContainerPath(lease.root, resolved, id)).stat;
  } finally {
    await lease.release();
  }
}

export type ArchivePart = { stat: PathStat } | { data: Buffer };

/** The stat, then a tar of the path named from its last element as asked (moby's rebase). */
export async function* archivePath(ctx: RuntimeContext, id: string, asked: string, signal?: AbortSignal): AsyncGenerator<ArchivePart> {
  const lease = await leaseRootfs(ctx, id, { ...(signal ? { signal } : {}) });
  try {
    const resolved = await resolveContainerPath(lease.root, asked);
    refuseMounted(mustGet(ctx, id), lease.root, resolved.host);
    const { stat } = await statContainerPath(lease.root, resolved, id);
    yield { stat };
    const base = baseName(resolved.abs);
    for await (const data of packTree(resolved.host, base === '/' ? '.' : base, signal)) yield { data };
  } finally {
    await lease.release();
  }
}

export interface ExtractRequest {
  path: string;
  noOverwriteDirNonDir: boolean;
  copyUidGid: boolean;
}

/** Docker's PUT archive: the path must be an existing directory of the container. */
export async function extractToContainer(ctx: RuntimeContext, id: string, req: ExtractRequest, tar: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
  const c = mustGet(ctx, id);
  if (c.spec.readOnlyRootfs) throw new BerthError('permission_denied', 'container rootfs is marked read-only');
  const lease = await leaseRootfs(ctx, id, { ...(signal ? { signal } : {}) });
  try {
    const resolved = await resolveContainerPath(lease.root, req.path);
    // The destination is followed to the end (moby's GetResourcePath of the whole path).
    const destHost = await resolveInRoot(lease.root, resolved.abs);
    refuseMounted(c, lease.root, destHost);
    const dest = await lstat(destHost).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new BerthError('not_found', `Could not find the file ${resolved.abs} in container ${id}`);
      throw err;
    });
    if (!dest.isDirectory()) throw new BerthError('invalid_argument', 'extraction point is not a directory');
    await unpackTar(tar, {
      root: lease.root, dest: resolved.abs, noOverwriteDirNonDir: req.noOverwriteDirNonDir, copyUidGid: req.copyUidGid,
      guard: (host) => refuseMounted(c, lease.root, host),
      ...(signal ? { signal } : {}),
    });
  } finally {
    await lease.release();
  }
}

/** `docker export`: the merged rootfs as a tar, names relative ("bin/sh"), without a root entry. */
export async function* exportContainer(ctx: RuntimeContext, id: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const lease = await leaseRootfs(ctx, id, { ...(signal ? { signal } : {}) });
  try {
    yield* packTree(lease.root, '', signal);
  } finally {
    await lease.release();
  }
}
