import { mkdir, writeFile } from 'node:fs/promises';
import { writeSmall } from '../oci/small-files.js';
import path from 'node:path';
import { ETC_FILE_MODE, etcPaths, writeEtcFiles } from '../oci/etc-files.js';
import { readFileInRoot } from '../oci/rootfs-path.js';
import { buildSpec } from '../oci/spec-builder.js';
import type { Container } from './container.js';
import { cgroupsPath, type RuntimeContext } from './context.js';
import { networkFor, releaseNetwork } from './sandbox.js';
import { processEnv } from './process-config.js';
import { resolveUser } from './user.js';
import { mountShareableShm, sharedNamespaces, shmDir } from './namespace-modes.js';
import { volumeOciMounts } from './volume-mounts.js';
import { networkModeOf } from './network-mode.js';

const CONFIG_JSON = 'config.json';

/**
 * The bundle as a create leaves it, made while the image service prepares the snapshot: the
 * directory, the rootfs mount point, and — empty — the files every start writes again
 * (config.json, the /etc files this network mode uses) and the log conmon appends to (with the
 * mode conmon gives it; an empty log reads as a missing one). On ext4 without a journal (these
 * hosts) each new inode costs from microseconds to a millisecond of kernel time, as the allocator
 * steps over every inode deleted in the last 30 s; made here, on thread-pool threads while this
 * service waits, they leave a start only truncating and writing.
 */
export async function makeBundleDir(ctx: RuntimeContext, id: string, networkMode: string): Promise<void> {
  const bundle = ctx.paths.bundle(id);
  await mkdir(bundle, { recursive: true, mode: 0o711 });
  const etc = etcPaths(bundle);
  const kind = networkModeOf(networkMode).kind;
  const own = kind === 'none' || kind === 'network'; // host and container:<x> use other hosts/resolv.conf files
  await Promise.all([
    mkdir(ctx.paths.rootfs(id), { mode: 0o755 }),
    writeFile(path.join(bundle, CONFIG_JSON), '', { mode: 0o600 }),
    writeFile(ctx.paths.logFile(id), '', { mode: 0o600 }),
    writeFile(etc.hostname, '', { mode: ETC_FILE_MODE }),
    ...(own ? [writeFile(etc.hosts, '', { mode: ETC_FILE_MODE }), writeFile(etc.resolvConf, '', { mode: ETC_FILE_MODE })] : []),
  ]);
}

/**
 * Makes the OCI bundle for a start: mounts the rootfs (at start, not create: mounts do not survive
 * a reboot and a stopped container should hold none), sets up its network, writes the /etc files
 * and config.json. Returns the netns path to remember (for teardown and inspect).
 */
export async function prepareBundle(ctx: RuntimeContext, c: Container): Promise<{ netnsPath: string }> {
  const bundle = ctx.paths.bundle(c.id);
  const rootfs = ctx.paths.rootfs(c.id);
  // Three independent lines — rootfs (mount, then user and volumes from it), network (sandbox, then
  // the /etc files it decides), a shareable /dev/shm — all settle before any failure counts, so the
  // failed start's cleanup finds whatever was made.
  const t0 = performance.now();
  const ms: Record<string, number> = {};
  const mark = (name: string) => (ms[name] = Math.round((performance.now() - t0) * 10) / 10);
  const [mounted, networked, shm] = await Promise.allSettled([
    (async () => {
      const mounts = c.rootfsMounts.length ? c.rootfsMounts : await ctx.images.getSnapshotMounts(c.id);
      await ctx.rootfs.mount(mounts, rootfs);
      mark('mounted');
      const out = await Promise.all([resolveUser(c.spec.user, (p) => readFileInRoot(rootfs, p)), volumeOciMounts(ctx, c)]);
      mark('user');
      return out;
    })(),
    (async () => {
      const network = await networkFor(ctx, c);
      mark('network');
      const hostname = network.shareFrom?.hostname || c.spec.hostname;
      const etcFiles = await writeEtcFiles(bundle, { hostname, extraHosts: c.spec.extraHosts, dns: c.spec.dns, network });
      mark('etc');
      return { network, hostname, etcFiles };
    })(),
    mountShareableShm(ctx, c),
  ]);
  const [user, volumeMounts] = value(mounted);
  const { network, hostname, etcFiles } = value(networked);
  const ownShm = value(shm);
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
    seccompNativeOnly: ctx.seccompNativeOnly,
    blkioBfqOnly: ctx.blkioBfqOnly,
    volumeMounts,
    ...(ctx.seccomp ? { seccomp: ctx.seccomp } : {}),
    ...(ctx.initBinary ? { initBinary: ctx.initBinary } : {}),
  });
  const file = path.join(bundle, CONFIG_JSON);
  writeSmall(file, JSON.stringify(spec), 0o600);
  mark('config');
  ctx.logger.debug({ id: c.id, at: ms }, 'bundle made'); // ms since the start of each step's line
  return { netnsPath: network.netnsPath === 'host' ? '' : (network.netnsPath ?? '') };
}

/** A settled result's value, or its failure thrown. */
function value<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

/** Undoes a start's machine state: runtime container then rootfs mount, and the network sandbox meanwhile. Idempotent. */
export async function releaseResources(ctx: RuntimeContext, c: Container): Promise<void> {
  // The sandbox does not depend on the runtime container or the rootfs: it goes meanwhile.
  const [local, network] = await Promise.allSettled([
    (async () => {
      // The host's rootfs mount is not the container's (that lives in its own mount namespace):
      // it can go while the runtime deletes the container. An unmount waits for an RCU grace
      // period, asleep; the delete meanwhile is CPU.
      const [deleted, unmounted] = await Promise.allSettled([ctx.runtime.delete(c.id), ctx.rootfs.unmount(ctx.paths.rootfs(c.id))]);
      if (deleted.status === 'rejected') throw deleted.reason;
      if (unmounted.status === 'rejected') throw unmounted.reason;
      if (c.spec.ipcMode === 'shareable') await ctx.rootfs.unmount(shmDir(ctx, c.id));
    })(),
    releaseNetwork(ctx, c),
  ]);
  if (local.status === 'rejected') throw local.reason;
  if (network.status === 'rejected') throw network.reason;
}
