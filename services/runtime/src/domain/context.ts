import { BerthError, EventType, type EventPublisher, type Logger } from '@berth/kit';
import type { ContainerStore, StateUpdate } from './container-store.js';
import type { VolumeStore } from './volume.js';
import type { RuntimePaths } from '../paths.js';
import type { DockerSeccomp } from '../oci/seccomp.js';
import type { HostLimits } from '../oci/rlimits.js';
import type { Container, Status } from './container.js';
import type { ImageProvider } from './image-provider.js';
import type { CgroupStats, ContainerMonitor, NetworkSandbox, OciRuntime, RootfsMounter } from './ports.js';
import { assertTransition } from './state-machine.js';
import { KeyedMutex } from './keyed-mutex.js';
import { ExitWaiters } from './exit-waiters.js';
import { ExecStore } from './exec-store.js';
import { PendingAttaches } from './pending-attaches.js';
import { RestartScheduler } from './restart-policy.js';
import type { HealthMonitors } from './health-monitor.js';

/** Everything the container use cases work with; built once in compose.ts. */
export interface RuntimeContext {
  db: ContainerStore;
  volumes: VolumeStore;
  images: ImageProvider;
  runtime: OciRuntime;
  monitor: ContainerMonitor;
  rootfs: RootfsMounter;
  cgroups: CgroupStats;
  /** The network service's sandboxes; absent: bridge-mode containers get an empty netns. */
  network?: NetworkSandbox;
  events: EventPublisher;
  logger: Logger;
  paths: RuntimePaths;
  /** The host's default seccomp profile, when installed. */
  seccomp?: DockerSeccomp;
  /** Whether the default filter covers only the host's own architecture (config runtime.seccompArches). */
  seccompNativeOnly: boolean;
  /** blkio weights go to blkio.bfq.weight, written by berth (oci/resources.ts blkioBfqOnly). */
  blkioBfqOnly: boolean;
  /** Held while a container is being created: its move into its cgroups does not wait (oci/cgroup-warm.ts). */
  cgroupAttach: { hold(): () => void };
  /** Capabilities this host lets containers have (its bounding set). */
  hostCaps: ReadonlySet<string>;
  /** The hard limits containers inherit: ulimits may not go above them. */
  hostLimits: HostLimits;
  /** A static init for `--init`. */
  initBinary?: string;
  /** cgroup parent, without slashes ("berth"). */
  cgroupParent: string;
  defaultStopTimeoutSeconds: number;
  /** Log rotation: size of container.log that triggers it (0: never), files kept in all. */
  logMaxBytes: number;
  logMaxFiles: number;
  locks: KeyedMutex;
  waiters: ExitWaiters;
  execs: ExecStore;
  attaches: PendingAttaches;
  restarts: RestartScheduler;
  /** Healthcheck probes of running containers (set up in compose.ts). */
  health: HealthMonitors;
}

export function newCoordination(): Pick<RuntimeContext, 'locks' | 'waiters' | 'execs' | 'attaches' | 'restarts'> {
  return {
    locks: new KeyedMutex(), waiters: new ExitWaiters(), execs: new ExecStore(), attaches: new PendingAttaches(),
    restarts: new RestartScheduler(),
  };
}

export function mustGet(ctx: RuntimeContext, id: string): Container {
  const c = ctx.db.get(id);
  if (!c) throw new BerthError('not_found', `No such container: ${id}`);
  return c;
}

/** Moves a container to `to` (checked against the lifecycle) with the other state changes. */
export function setState(ctx: RuntimeContext, c: Container, to: Status, update: StateUpdate = {}): Container {
  assertTransition(c.id, c.state.status, to);
  ctx.db.updateState(c.id, { ...update, status: to });
  return mustGet(ctx, c.id);
}

/** Publishes a container event with Docker's attributes (labels, name, image) plus extras. */
export function publish(ctx: RuntimeContext, c: Container, action: string, extra: Record<string, string> = {}): Promise<void> {
  sendEvent(ctx, { type: EventType.Container, action, actor: { id: c.id, attributes: { ...c.spec.labels, name: c.name, image: c.spec.image, ...extra } } });
  return Promise.resolve();
}

/**
 * Sends an event without waiting for the event store's acknowledgement: operations (a start, an
 * exit, a removal) are not held up by JetStream's round trip. Publishers never throw (failures are
 * logged and counted) and send in call order, so events keep their order; callers publish only
 * after their change is durable.
 */
export function sendEvent(ctx: RuntimeContext, event: Parameters<RuntimeContext['events']['publish']>[0]): void {
  void ctx.events.publish(event);
}

/** The cgroupfs-driver path runc takes: "/berth/<id>". */
export function cgroupsPath(ctx: RuntimeContext, id: string): string {
  return `/${ctx.cgroupParent.replace(/^\/+|\/+$/g, '')}/${id}`;
}
