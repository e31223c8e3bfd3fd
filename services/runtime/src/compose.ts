import { access, constants, mkdir, realpath } from 'node:fs/promises';
import type { BerthConfig, EventPublisher, Logger } from '@berth/kit';
import { ContainerService } from './domain/container-service.js';
import { ExecService } from './domain/exec-service.js';
import { VolumeService } from './domain/volume-service.js';
import { LogRotator } from './domain/log-rotation.js';
import { HealthMonitors } from './domain/health-monitor.js';
import { Status } from './domain/container.js';
import { hostHardLimits } from './oci/rlimits.js';
import { blkioBfqOnly } from './oci/resources.js';
import { CgroupAttachWarmer, ownProcsFile } from './oci/cgroup-warm.js';
import { hostCapabilities } from './oci/spec-defaults.js';
import { newCoordination, type RuntimeContext } from './domain/context.js';
import { handleExit, pollExits, restore } from './domain/exit-handler.js';
import { retryDeferredTeardowns } from './domain/sandbox.js';
import type { ImageProvider } from './domain/image-provider.js';
import type { NetworkSandbox } from './domain/ports.js';
import { CgroupFsStats } from './oci/cgroup-stats.js';
import { ConmonMonitor } from './oci/conmon.js';
import { ExitWatcher } from './oci/exit-watcher.js';
import { CommandRootfsMounter } from './oci/rootfs-mounter.js';
import { PerlHelper } from './oci/perl-helper.js';
import { AttachHub } from './oci/attach-relay.js';
import { OciRuntimeCli, RuntimeSet } from './oci/runc.js';
import { earlierRuntimes, findBinary, probeRuntime } from './oci/runtime-probe.js';
import { loadDefaultSeccomp } from './oci/seccomp.js';
import { RuntimePaths } from './paths.js';
import { ContainerDb } from './store/container-db.js';
import { VolumeDb } from './store/volume-db.js';

export interface ComposeDeps {
  logger: Logger;
  events: EventPublisher;
  images: ImageProvider;
  network?: NetworkSandbox;
  /** The exit sweep's period (the exit-dir watcher is the fast path). */
  sweepMs?: number;
  logCheckMs?: number;
}

export interface Composed {
  containers: ContainerService;
  execs: ExecService;
  volumes: VolumeService;
  ctx: RuntimeContext;
  close(): void;
}

const INIT_BINARIES = ['/usr/bin/tini-static', '/usr/bin/catatonit'];

/** The only place that builds the runtime's parts and wires them together. */
export async function compose(config: BerthConfig, deps: ComposeDeps): Promise<Composed> {
  const logger = deps.logger.child({ component: 'containers' });
  // Real paths: mount points are compared with /proc/self/mountinfo, which shows no symlinks.
  const roots = await Promise.all([config.stateRoot, config.runRoot].map(async (root) => {
    await mkdir(root, { recursive: true, mode: 0o711 });
    return realpath(root);
  }));
  const paths = new RuntimePaths(roots[0]!, roots[1]!);
  for (const dir of [paths.state, paths.run, paths.exitDir, paths.socketDir]) {
    await mkdir(dir, { recursive: true, mode: 0o711 });
  }
  const cgroupParent = config.runtime.cgroupParent.replace(/^\/+|\/+$/g, '') || 'berth';
  const conmon = await findBinary('conmon');
  if (!conmon) throw new Error('conmon is not installed');
  const perl = await findBinary('perl'); // the attach relay, mount syscalls, crun's v1 view (perl-base is Essential on Debian)
  if (!perl) throw new Error('perl is not installed');
  const probeOptions = { wrapperDir: paths.run, perl };
  const probed = await probeRuntime(config.runtime.ociRuntime, cgroupParent, logger, probeOptions);
  await mkdir(paths.runtimeRoot(probed.name), { recursive: true, mode: 0o711 });
  const runtime = new RuntimeSet(new OciRuntimeCli(probed.name, probed.binary, paths.runtimeRoot(probed.name)), await earlierRuntimes((n) => paths.runtimeRoot(n), probed.name, probeOptions, logger));
  const helper = new PerlHelper(perl);
  const hub = new AttachHub(paths.attachHub, helper);
  const cgroupAttach = new CgroupAttachWarmer(await ownProcsFile());
  const seccomp = await loadDefaultSeccomp();
  if (!seccomp) logger.warn('no seccomp profile at /usr/share/containers/seccomp.json: containers run without one');
  let initBinary: string | undefined;
  for (const b of INIT_BINARIES) if (!initBinary && (await access(b, constants.X_OK).then(() => true, () => false))) initBinary = b;
  const db = new ContainerDb(paths.db);
  const volumes = new VolumeDb(paths.db);
  const parts: Omit<RuntimeContext, 'health'> = {
    db, volumes, images: deps.images, runtime, rootfs: new CommandRootfsMounter(helper), cgroups: new CgroupFsStats(),
    monitor: new ConmonMonitor({ binary: conmon, runtime, paths, hub, helper, cgroupAttach }),
    events: deps.events, logger, paths, cgroupParent, defaultStopTimeoutSeconds: config.runtime.stopTimeoutSeconds,
    logMaxBytes: config.runtime.logMaxBytes, logMaxFiles: config.runtime.logMaxFiles, hostLimits: await hostHardLimits(), hostCaps: await hostCapabilities(),
    seccompNativeOnly: config.runtime.seccompArches !== 'all', blkioBfqOnly: await blkioBfqOnly(), cgroupAttach,
    ...(deps.network ? { network: deps.network } : {}),
    ...(seccomp ? { seccomp } : {}),
    ...(initBinary ? { initBinary } : {}),
    ...newCoordination(),
  };
  const ctx = parts as RuntimeContext;
  ctx.health = new HealthMonitors(ctx); // it needs the context it is part of
  // Watch first, then reconcile: an exit during the reconcile is seen by one or the other.
  const watcher = new ExitWatcher(paths.exitDir, (id) => handleExit(ctx, id), () => pollExits(ctx).then(() => retryDeferredTeardowns(ctx)), logger, deps.sweepMs);
  await watcher.start();
  const rotator = new LogRotator(ctx, deps.logCheckMs);
  rotator.start();
  const restored = await restore(ctx);
  logger.info({ running: restored.restored.length, exitedWhileDown: restored.exited.length, removals: restored.removed.length }, 'containers restored');
  for (const c of ctx.db.list([Status.Running])) ctx.health.resume(c);
  return {
    containers: new ContainerService(ctx),
    execs: new ExecService(ctx),
    volumes: new VolumeService(ctx),
    ctx,
    close: () => {
      watcher.close();
      hub.close();
      helper.close();
      rotator.close();
      ctx.health.close();
      ctx.restarts.close();
      volumes.close();
      db.close();
    },
  };
}
