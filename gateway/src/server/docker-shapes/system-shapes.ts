import type { HostFacts } from '../host-facts.js';
import { API_VERSION, MIN_API_VERSION } from '../api-version.js';

export interface EngineIdentity {
  /** berth's version. */
  version: string;
  gitCommit: string;
  buildTime: string;
  /** Stable per installation (Docker's engine ID). */
  id: string;
  rootDir: string;
  /** Registries reached over plain http (config `registry.insecure`). */
  insecureRegistries: string[];
}

/** `GET /version` (Docker's SystemVersion). */
export function systemVersion(engine: EngineIdentity, host: HostFacts): Record<string, unknown> {
  const details = {
    ApiVersion: API_VERSION,
    Arch: host.arch,
    BuildTime: engine.buildTime,
    Experimental: 'false',
    GitCommit: engine.gitCommit,
    GoVersion: `node ${process.version}`,
    KernelVersion: host.kernelVersion,
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: 'berth' },
    Components: [{ Name: 'Engine', Version: engine.version, Details: details }],
    Version: engine.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: engine.gitCommit,
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: host.arch,
    KernelVersion: host.kernelVersion,
    BuildTime: engine.buildTime,
  };
}

/** The runtime service's OCI runtimes: the one new containers get, and each one's binary. */
export interface OciRuntimes {
  default: string;
  paths: Record<string, string>;
}

/** When the runtime service does not say (down, or older): Docker's own answer. */
const DOCKER_RUNTIMES: OciRuntimes = { default: 'runc', paths: { runc: 'runc' } };

export interface EngineCounts {
  containers: number;
  running: number;
  paused: number;
  stopped: number;
  images: number;
}

/** Warnings Docker's daemon gives for missing cgroup features, in its words. */
export function hostWarnings(host: HostFacts): string[] {
  const w: string[] = [];
  if (!host.memoryLimit) w.push('WARNING: No memory limit support');
  if (!host.swapLimit) w.push('WARNING: No swap limit support');
  if (!host.cpuCfs) w.push('WARNING: No cpu cfs quota support', 'WARNING: No cpu cfs period support');
  if (!host.cpuShares) w.push('WARNING: No cpu shares support');
  if (!host.cpuSet) w.push('WARNING: No cpuset support');
  if (!host.ipv4Forwarding) w.push('WARNING: IPv4 forwarding is disabled');
  return w;
}

/**
 * `GET /info` (Docker's system.Info). Every field `docker info` reads is present, with Docker's
 * types, so a picky client never meets a null where it expects a list or object.
 */
export function systemInfo(
  engine: EngineIdentity, host: HostFacts, counts: EngineCounts, warnings: string[], runtimes: OciRuntimes = DOCKER_RUNTIMES,
): Record<string, unknown> {
  return {
    ID: engine.id,
    Containers: counts.containers,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: counts.images,
    Driver: 'overlay2',
    DriverStatus: [['Snapshotter', 'overlayfs']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['k8s-file'] },
    MemoryLimit: host.memoryLimit,
    SwapLimit: host.swapLimit,
    CpuCfsPeriod: host.cpuCfs,
    CpuCfsQuota: host.cpuCfs,
    CPUShares: host.cpuShares,
    CPUSet: host.cpuSet,
    PidsLimit: host.pidsLimit,
    IPv4Forwarding: host.ipv4Forwarding,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'k8s-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: host.cgroupVersion,
    NEventsListener: 0,
    KernelVersion: host.kernelVersion,
    OperatingSystem: host.operatingSystem,
    OSVersion: host.osVersion,
    OSType: 'linux',
    Architecture: host.machine,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: null,
      AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true },
        ...Object.fromEntries(
          engine.insecureRegistries.map((name) => [name, { Name: name, Mirrors: [], Secure: false, Official: false }]),
        ),
      },
      Mirrors: null,
    },
    NCPU: host.ncpu,
    MemTotal: host.memTotal,
    GenericResources: null,
    DockerRootDir: engine.rootDir,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: host.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: engine.version,
    Runtimes: Object.fromEntries(Object.entries(runtimes.paths).map(([name, p]) => [name, { path: p }])),
    DefaultRuntime: runtimes.default,
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin'],
    CDISpecDirs: [],
    Warnings: [...hostWarnings(host), ...warnings],
  };
}
