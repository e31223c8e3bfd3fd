/**
 * What the container use cases need from the machine, as small interfaces: the OCI runtime, the
 * monitor (conmon), the rootfs mounter and the network sandbox. `src/oci/` implements them.
 */
import type { Container, MountSpec } from './container.js';

export interface RuntimeState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

/** The OCI runtime binary (runc/crun) for one --root. */
export interface OciRuntime {
  readonly name: string;
  readonly binary: string;
  readonly root: string;
  start(id: string): Promise<void>;
  /** `all` signals every process of the container (needed when the init does not forward). */
  kill(id: string, signal: number, all?: boolean): Promise<void>;
  /** Forced delete: the container's state and cgroup; absent containers are fine. */
  delete(id: string): Promise<void>;
  /** undefined when the runtime does not know the container. */
  state(id: string): Promise<RuntimeState | undefined>;
}

export interface MonitorLaunch {
  id: string;
  name: string;
  bundle: string;
  /** The container process's pid file, written by the runtime at create. */
  pidFile: string;
  logPath: string;
  /** The runtime's own log, where a failed create explains itself. */
  runtimeLog: string;
  tty: boolean;
  openStdin: boolean;
}

export interface MonitorHandle {
  /** The container's init pid. */
  pid: number;
  /** The monitor's pid, to tell later whether it is still there. */
  monitorPid: number;
}

/** conmon: creates the container through the runtime and watches it, outliving this service. */
export interface ContainerMonitor {
  /** Creates the container (not started); throws with the runtime's own message when that fails. */
  launch(opts: MonitorLaunch): Promise<MonitorHandle>;
  /** True while the monitor process for this container is alive (not a zombie, not a reused pid). */
  isAlive(monitorPid: number, id: string): Promise<boolean>;
  /** The exit code it recorded, or undefined when none yet; `at` is when it was written (ns). */
  exitStatus(id: string): Promise<{ code: number; atNs: bigint } | undefined>;
  /** Removes what a previous run left (exit file, pid files). */
  reset(id: string): Promise<void>;
}

export interface RootfsMounter {
  mount(mounts: MountSpec[], target: string): Promise<void>;
  /** Idempotent. */
  unmount(target: string): Promise<void>;
  isMounted(target: string): Promise<boolean>;
}

/** The container's network: a netns made by the network service, or none/host. */
export interface NetworkSetup {
  /** undefined: a fresh, empty netns ("none"); "host": the host's. */
  netnsPath?: string | 'host';
  dnsServers: string[];
  dnsSearch: string[];
  /** Extra /etc/hosts lines ("10.0.0.2\tweb"). */
  hosts: string[];
}

export interface NetworkSandbox {
  setup(container: Container): Promise<NetworkSetup>;
  /** Idempotent. */
  teardown(container: Container): Promise<void>;
}

/** Numbers the kernel keeps per container cgroup. */
export interface CgroupStats {
  /** Whether the OOM killer killed a process of this cgroup ("/berth/<id>"). */
  oomKilled(cgroupsPath: string): Promise<boolean>;
}
