/**
 * What the container use cases need from the machine, as small interfaces: the OCI runtime, the
 * monitor (conmon), the rootfs mounter and the network sandbox. `src/oci/` implements them.
 */
import type { Container, MountSpec } from './container.js';
import type { LiveEndpoint, NetworkAttachment, PublishedPort } from './network-attachments.js';

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
  /** Freezes every process of the container (freezer cgroup). */
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Applies new OCI linux.resources to the running container. */
  update(id: string, resources: Record<string, unknown>): Promise<void>;
  /** `all` signals every process of the container (needed when the init does not forward). */
  kill(id: string, signal: number, all?: boolean): Promise<void>;
  /** Forced delete: the container's state and cgroup; absent containers are fine. */
  delete(id: string): Promise<void>;
  /** undefined when the runtime does not know the container. */
  state(id: string): Promise<RuntimeState | undefined>;
  /** The runtime that made container `id` (this one, or the one chosen before a change of runtime). */
  forContainer(id: string): Promise<OciRuntime>;
  /** Every runtime this service drives: the chosen one first (name, what runs). */
  runtimes(): Array<{ name: string; binary: string }>;
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
  stdinOnce: boolean;
}

export interface MonitorHandle {
  /** The container's init pid. */
  pid: number;
  /** The monitor's pid, to tell later whether it is still there. */
  monitorPid: number;
}

/** One read of a process's output: stream 1 stdout (all of a TTY's output), 2 stderr. */
export interface StdioFrame {
  stream: 1 | 2;
  data: Buffer;
}

/** A live connection to a process's stdio (conmon's attach socket). */
export interface StdioSession {
  /** Resolves once the connection is established: output from then on is delivered. */
  readonly connected: Promise<void>;
  /** Output until the process has exited and its output is drained, or close(). */
  frames(): AsyncIterable<StdioFrame>;
  write(data: Buffer): void;
  /** End of input: the process's stdin is closed (when it has one). */
  closeStdin(): void;
  close(): void;
  /** For a session opened before its socket exists: the socket is there now, connect at once. */
  kick?(): void;
}

export interface ExecLaunch {
  containerId: string;
  execId: string;
  /** The OCI `process` object for `runtime exec --process`. */
  process: Record<string, unknown>;
  tty: boolean;
  /** Give the process a stdin (fed through the attach connection). */
  stdin: boolean;
  /** Connect to its stdio before it starts (nothing is missed); otherwise output is discarded. */
  attach: boolean;
}

export interface ExecHandle {
  pid: number;
  io?: StdioSession;
  /** The exit code, once the process has exited and its output was drained. */
  exit: Promise<number>;
  resize(height: number, width: number): Promise<void>;
}

/** conmon: creates the container through the runtime and watches it, outliving this service. */
export interface ContainerMonitor {
  /** Runs a process in a running container; throws (StartFailure) when the runtime refuses. */
  exec(opts: ExecLaunch): Promise<ExecHandle>;
  /**
   * Connects to a running (or created, not yet started) container's stdio. `early`: the
   * container's monitor is not there yet; the session waits for it (see StdioSession.kick).
   */
  attach(id: string, early?: boolean): StdioSession;
  /** Resizes the container's TTY. */
  resize(id: string, height: number, width: number): Promise<void>;
  /** Makes conmon reopen the container's log file (after it was rotated). */
  reopenLog(id: string): Promise<void>;
  /** Creates the container (not started); throws with the runtime's own message when that fails. */
  launch(opts: MonitorLaunch): Promise<MonitorHandle>;
  /** True while the monitor process for this container is alive (not a zombie, not a reused pid). */
  isAlive(monitorPid: number, id: string): Promise<boolean>;
  /** The exit code it recorded, or undefined when none yet; `at` is when it was written (ns). */
  exitStatus(id: string): Promise<{ code: number; atNs: bigint } | undefined>;
  /** Removes what a previous run left (exit file, pid files). */
  reset(id: string): Promise<void>;
  /** After a reset: makes what the next launch needs (its run dir) ahead of it, e.g. while the bundle is made. */
  prepare(id: string): Promise<void>;
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
  /** The endpoints the network service made, by network id. */
  endpoints?: Array<{ networkId: string; endpoint: LiveEndpoint }>;
  /** Published ports with the host ports chosen. */
  ports?: PublishedPort[];
  /** `container:<id>`: that container's hostname, and its directory whose hosts and resolv.conf are shared. */
  shareFrom?: { dir: string; hostname: string };
}

/** A network as the network service names it. */
export interface NetworkRef {
  id: string;
  name: string;
  /** "bridge", "host", "null". */
  driver: string;
}

export interface NetworkSandbox {
  setup(container: Container): Promise<NetworkSetup>;
  /** Idempotent. */
  teardown(container: Container): Promise<void>;
  /** The network a name, id or id prefix refers to; `not_found` when there is none. */
  resolve(network: string): Promise<NetworkRef>;
  /** Joins a running container's sandbox to one more network. */
  connect(container: Container, attachment: NetworkAttachment): Promise<LiveEndpoint>;
  /** Takes a running container's sandbox off a network. */
  disconnect(container: Container, networkId: string, force: boolean): Promise<void>;
}

export interface CpuSample {
  totalNs: number;
  kernelNs: number;
  userNs: number;
  perCpuNs: number[];
  throttlingPeriods: number;
  throttledPeriods: number;
  throttledNs: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface NetworkSample {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** One reading of a container's cgroup (and of the host's CPU time, to compute a percentage). */
export interface CgroupSample {
  version: 'v1' | 'v2';
  cpu: CpuSample;
  memory: { usage: number; maxUsage: number; limit: number; failcnt: number; stats: Record<string, number> };
  pidsCurrent: number;
  /** 0: no limit. */
  pidsLimit: number;
  ioServiceBytes: BlkioEntry[];
  ioServiced: BlkioEntry[];
  networks: NetworkSample[];
  systemCpuNs: number;
  onlineCpus: number;
}

/** Numbers the kernel keeps per container cgroup ("/berth/<id>"). */
export interface CgroupStats {
  /** Whether the OOM killer killed a process of this cgroup. */
  oomKilled(cgroupsPath: string): Promise<boolean>;
  /** The pids (host view) of every process in the cgroup. */
  procs(cgroupsPath: string): Promise<number[]>;
  /** Usage now; `pid` (the container's init) locates its network namespace. */
  sample(cgroupsPath: string, pid: number): Promise<CgroupSample>;
}
