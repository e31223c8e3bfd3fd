import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeEtcFiles } from '../oci/etc-files.js';
import { readFileInRoot } from '../oci/rootfs-path.js';
import { buildSpec } from '../oci/spec-builder.js';
import type { Container } from './container.js';
import { cgroupsPath, type RuntimeContext } from './context.js';
import { networkFor, releaseNetwork } from './sandbox.js';
import { processEnv } from './process-config.js';
import { resolveUser } from './user.js';
import { mountShareableShm, sharedNamespaces, shmDir } from './namespace-modes.js';
import { volumeOciMounts } from './volume-mounts.js';

/**
 * Makes the OCI bundle for a start: mounts the rootfs (at start, not create: mounts do not survive
 * a reboot and a stopped container should hold none), sets up its network, writes the /etc files
 * and config.json. Returns the netns path to remember (for teardown and inspect).
 */
export async function prepareBundle(ctx: RuntimeContext, c: Container): Promise<{ netnsPath: string }> {
  const bundle = ctx.paths.bundle(c.id);
  const rootfs = ctx.paths.rootfs(c.id);
  // The network sandbox is made while the rootfs is mounted and read; both settle before any failure counts.
  const [mounted, networked] = await Promise.allSettled([
    (async () => {
      const mounts = c.rootfsMounts.length ? c.rootfsMounts : await ctx.images.getSnapshotMounts(c.id);
      await ctx.rootfs.mount(mounts, rootfs);
      return resolveUser(c.spec.user, (p) => readFileInRoot(rootfs, p));
    })(),
    networkFor(ctx, c),
  ]);
  if (mounted.status === 'rejected') throw mounted.reason;
  if (networked.status === 'rejected') throw networked.reason;
  const [user, network] = [mounted.value, networked.value];
  const hostname = network.shareFrom?.hostname || c.spec.hostname;
  const [etcFiles, volumeMounts, ownShm] = await Promise.all([
    writeEtcFiles(bundle, { hostname, extraHosts: c.spec.extraHosts, dns: c.spec.dns, network }),
    volumeOciMounts(ctx, c),
    mountShareableShm(ctx, c),
  ]);
  const shared = sharedNamespaces(ctx, c.spec);
  const spec = buildSpec({
    spec: c.spec,
    args: [c.path, ...c.args],
    env: processEnv(c.spec, hostname, user.home),
    user,
    hostname,
    rootfs,
    etcFiles,
    ...(network.netnsPath !== undefined ? { netns: network.netnsPath } : {}),
    cgroupsPath: cgroupsPath(ctx, c.id),
    shared: ownShm ? { ...shared, shm: ownShm } : shared,
    availableCaps: ctx.hostCaps,
    volumeMounts,
    ...(ctx.seccomp ? { seccomp: ctx.seccomp } : {}),
    ...(ctx.initBinary ? { initBinary: ctx.initBinary } : {}),
  });
  const file = path.join(bundle, 'config.json');
  await writeFile(`${file}.tmp`, JSON.stringify(spec, null, 2), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return { netnsPath: network.netnsPath === 'host' ? '' : (network.netnsPath ?? '') };
}

/** Undoes a start's machine state: runtime container then rootfs mount, and the network sandbox meanwhile. Idempotent. */
export async function releaseResources(ctx: RuntimeContext, c: Container): Promise<void> {
  // The sandbox does not depend on the runtime container or the rootfs: it goes meanwhile.
  const [local, network] = await Promise.allSettled([
    (async () => {
      await ctx.runtime.delete(c.id);
      if (c.spec.ipcMode === 'shareable') await ctx.rootfs.unmount(shmDir(ctx, c.id));
      await ctx.rootfs.unmount(ctx.paths.rootfs(c.id));
    })(),
    releaseNetwork(ctx, c),
  ]);
  if (local.status === 'rejected') throw local.reason;
  if (network.status === 'rejected') throw network.reason;
}
