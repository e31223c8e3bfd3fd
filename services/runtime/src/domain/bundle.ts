import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, errorKind } from '@berth/kit';
import { writeEtcFiles } from '../oci/etc-files.js';
import { readFileInRoot } from '../oci/rootfs-path.js';
import { buildSpec } from '../oci/spec-builder.js';
import { isRunning, type Container } from './container.js';
import { cgroupsPath, type RuntimeContext } from './context.js';
import { findContainer } from './lookup.js';
import { networkModeOf } from './network-mode.js';
import type { NetworkSetup } from './ports.js';
import { processEnv } from './process-config.js';
import { resolveUser } from './user.js';

/**
 * Makes the OCI bundle for a start: mounts the rootfs (at start, not create: mounts do not survive
 * a reboot and a stopped container should hold none), sets up its network, writes the /etc files
 * and config.json. Returns the netns path to remember (for teardown and inspect).
 */
export async function prepareBundle(ctx: RuntimeContext, c: Container): Promise<{ netnsPath: string }> {
  const bundle = ctx.paths.bundle(c.id);
  const rootfs = ctx.paths.rootfs(c.id);
  const mounts = c.rootfsMounts.length ? c.rootfsMounts : await ctx.images.getSnapshotMounts(c.id);
  await ctx.rootfs.mount(mounts, rootfs);
  const network = await networkFor(ctx, c);
  const etcFiles = await writeEtcFiles(bundle, { hostname: c.spec.hostname, extraHosts: c.spec.extraHosts, dns: c.spec.dns, network });
  const user = await resolveUser(c.spec.user, (p) => readFileInRoot(rootfs, p));
  const spec = buildSpec({
    spec: c.spec,
    args: [c.path, ...c.args],
    env: processEnv(c.spec, c.spec.hostname, user.home),
    user,
    hostname: c.spec.hostname,
    rootfs,
    etcFiles,
    ...(network.netnsPath !== undefined ? { netns: network.netnsPath } : {}),
    cgroupsPath: cgroupsPath(ctx, c.id),
    ...(ctx.seccomp ? { seccomp: ctx.seccomp } : {}),
    ...(ctx.initBinary ? { initBinary: ctx.initBinary } : {}),
  });
  const file = path.join(bundle, 'config.json');
  await writeFile(`${file}.tmp`, JSON.stringify(spec, null, 2), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return { netnsPath: network.netnsPath === 'host' ? '' : (network.netnsPath ?? '') };
}

const NO_NETWORK: NetworkSetup = { dnsServers: [], dnsSearch: [], hosts: [] };

async function networkFor(ctx: RuntimeContext, c: Container): Promise<NetworkSetup> {
  const mode = networkModeOf(c.spec.networkMode);
  switch (mode.kind) {
    case 'none':
      return NO_NETWORK;
    case 'host':
      return { ...NO_NETWORK, netnsPath: 'host' };
    case 'container': {
      const other = findContainer(ctx, mode.target);
      if (!isRunning(other) || other.state.pid <= 0) {
        throw new BerthError('failed_precondition', `cannot join network of a non running container: ${mode.target}`);
      }
      return { ...NO_NETWORK, netnsPath: `/proc/${other.state.pid}/ns/net` };
    }
    case 'network':
      if (!ctx.network) return NO_NETWORK;
      try {
        return await ctx.network.setup(c);
      } catch (err) {
        // First light: until the network service implements sandboxes, bridge containers get an
        // empty netns (as "none") rather than failing. Any other failure fails the start.
        if (errorKind(err) !== 'unimplemented') throw err;
        ctx.logger.warn({ id: c.id, network: mode.name }, 'network service has no sandboxes yet: starting without network');
        return NO_NETWORK;
      }
  }
}

/** Undoes a start's machine state, in reverse: runtime container, network, rootfs mount. Idempotent. */
export async function releaseResources(ctx: RuntimeContext, c: Container): Promise<void> {
  await ctx.runtime.delete(c.id);
  if (ctx.network && networkModeOf(c.spec.networkMode).kind === 'network') {
    await ctx.network.teardown(c).catch((err: unknown) => {
      if (errorKind(err) !== 'unimplemented') throw err;
    });
  }
  await ctx.rootfs.unmount(ctx.paths.rootfs(c.id));
}
