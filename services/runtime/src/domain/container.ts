import type { EndpointConfig, NetworkAttachment, PublishedPort } from './network-attachments.js';
import type { VolumeMount } from './volume.js';

/**
 * The container as the runtime service keeps it: Docker's Config + HostConfig (the spec, with the
 * image's defaults merged in at create time, as `docker inspect` shows them) and its state.
 */

export const Status = {
  Created: 'created',
  Running: 'running',
  Paused: 'paused',
  Restarting: 'restarting',
  Removing: 'removing',
  Exited: 'exited',
  Dead: 'dead',
} as const;
export type Status = (typeof Status)[keyof typeof Status];

export interface MountSpec {
  type: string;
  source: string;
  target: string;
  options: string[];
}

export interface Resources {
  memory?: number;
  memorySwap?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
  blkioWeight?: number;
  cpusetMems?: string;
  memoryReservation?: number;
}

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** Docker's HealthConfig; durations in ns, 0 for the default. */
export interface Healthcheck {
  test: string[];
  intervalNs: number;
  timeoutNs: number;
  retries: number;
  startPeriodNs: number;
  startIntervalNs: number;
}

export interface PortBinding {
  containerPort: string;
  hostIp: string;
  hostPort: string;
}

/** What a container is made from. Lists left undefined mean "not set" (Docker tells null from []). */
export interface ContainerSpec {
  image: string;
  cmd?: string[];
  entrypoint?: string[];
  env: string[];
  workingDir: string;
  user: string;
  hostname: string;
  domainname: string;
  labels: Record<string, string>;
  tty: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  stopSignal: string;
  stopTimeout?: number;
  networkMode: string;
  autoRemove: boolean;
  restartPolicy: { name: string; maximumRetryCount: number };
  exposedPorts: string[];
  portBindings: PortBinding[];
  publishAllPorts: boolean;
  resources: Resources;
  binds: string[];
  mounts: MountSpec[];
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  readOnlyRootfs: boolean;
  tmpfs: Record<string, string>;
  init: boolean;
  pidMode: string;
  ipcMode: string;
  utsMode: string;
  dns: string[];
  extraHosts: string[];
  /** Per-process limits ("nofile", ...): at most this host's hard limits. */
  ulimits?: Ulimit[];
  /** /dev/shm size in bytes (Docker's default 64 MiB). */
  shmSize?: number;
  /** The request's healthcheck; unset: the image's (merged at create). */
  healthcheck?: Healthcheck;
  /** What to do when it turns unhealthy: "none" (default), "kill", "restart", "stop" (podman's --health-on-failure). */
  healthOnFailure?: string;
  /** NetworkingConfig.EndpointsConfig: aliases and static addresses per network. */
  endpointsConfig: EndpointConfig[];
}

export interface ContainerState {
  status: Status;
  pid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  /** RFC 3339 nano; ZERO_TIME when never. */
  startedAt: string;
  finishedAt: string;
}

export interface Container {
  id: string;
  /** Without the leading "/". */
  name: string;
  imageId: string;
  created: string;
  spec: ContainerSpec;
  state: ContainerState;
  /** argv as resolved at create: entrypoint + cmd. */
  path: string;
  args: string[];
  restartCount: number;
  logPath: string;
  /** "runc" or "crun". */
  runtime: string;
  /** The image's config JSON at create time. */
  imageConfig: Buffer;
  rootfsMounts: MountSpec[];
  netnsPath: string;
  /** The conmon watching it while running (0 otherwise), for live restore. */
  monitorPid: number;
  /** Named and anonymous volumes it mounts (resolved at create). */
  volumes?: VolumeMount[];
  /** Stopped or killed by a user since its last start (restart policies honour it). */
  manuallyStopped: boolean;
  /** Set when it has a healthcheck and has been started. */
  health?: HealthState;
  /** The networks it is on (first = primary), with their endpoints while it runs. */
  networks: NetworkAttachment[];
  /** Published ports with the host ports chosen, while running. */
  ports: PublishedPort[];
}

export interface HealthLogEntry {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

/** Docker's State.Health. */
export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  log: HealthLogEntry[];
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function isRunning(c: Container): boolean {
  return c.state.status === Status.Running || c.state.status === Status.Paused || c.state.status === Status.Restarting;
}

export function emptySpec(image: string): ContainerSpec {
  return {
    image, env: [], workingDir: '', user: '', hostname: '', domainname: '', labels: {}, tty: false, openStdin: false,
    stdinOnce: false, attachStdin: false, attachStdout: false, attachStderr: false, stopSignal: '', networkMode: '',
    autoRemove: false, restartPolicy: { name: '', maximumRetryCount: 0 }, exposedPorts: [], portBindings: [],
    publishAllPorts: false, resources: {}, binds: [], mounts: [], privileged: false, capAdd: [], capDrop: [],
    securityOpt: [], readOnlyRootfs: false, tmpfs: {}, init: false, pidMode: '', ipcMode: '', utsMode: '', dns: [],
    extraHosts: [], endpointsConfig: [],
  };
}
