import type { runtime, types } from '@berth/proto';
import { effectiveConfig } from './effective-config.js';
import { parseImageConfig } from './image-config.js';
import { isVolumePath, mountPoints } from './container-mounts.js';
import { legacyEndpointFields, networksFor, portBindingMap, portMap } from './container-network.js';
import { sandboxId } from './network-shapes.js';
import { zeroTimeIfEmpty } from './container-status.js';
import { emptySpec, emptyState } from './container-defaults.js';
import { healthJson, withVolumeMounts } from './runtime-extras.js';

/** `GET /containers/{id}/json` (Docker's ContainerJSON). */
export function containerInspect(c: runtime.Container): Record<string, unknown> {
  const spec = c.spec ?? emptySpec(c);
  const state = c.state ?? emptyState();
  const imageConfig = parseImageConfig(c.imageConfig);
  const config = effectiveConfig(spec, imageConfig.config ?? {});
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: {
      Status: state.status,
      Running: state.running,
      Paused: state.paused,
      Restarting: state.restarting,
      OOMKilled: state.oomKilled,
      Dead: state.dead,
      Pid: state.pid,
      ExitCode: state.exitCode,
      Error: state.error,
      StartedAt: zeroTimeIfEmpty(state.startedAt),
      FinishedAt: zeroTimeIfEmpty(state.finishedAt),
      ...healthJson(state),
    },
    Image: c.imageId,
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    LogPath: c.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: imageConfig.os || 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: c.execIds?.values.length ? c.execIds.values : null,
    HostConfig: hostConfig(spec, c.runtime),
    GraphDriver: { Name: 'overlay2', Data: graphDriverData(c.rootfsMounts) },
    Mounts: withVolumeMounts(c, mountPoints(spec)),
    Config: {
      Hostname: spec.hostname || c.id.slice(0, 12),
      Domainname: spec.domainname,
      User: config.user,
      AttachStdin: spec.attachStdin,
      AttachStdout: spec.attachStdout,
      AttachStderr: spec.attachStderr,
      ...(config.exposedPorts.length > 0 && { ExposedPorts: Object.fromEntries(config.exposedPorts.map((p) => [p, {}])) }),
      Tty: spec.tty,
      OpenStdin: spec.openStdin,
      StdinOnce: spec.stdinOnce,
      Env: config.env,
      Cmd: config.cmd,
      Image: spec.image,
      Volumes: config.volumes,
      WorkingDir: config.workingDir,
      Entrypoint: config.entrypoint,
      OnBuild: null,
      Labels: config.labels,
      ...(config.stopSignal && { StopSignal: config.stopSignal }),
      ...(spec.stopTimeout !== undefined && { StopTimeout: spec.stopTimeout }),
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: state.running && c.netnsPath ? sandboxId(c.id) : '',
      SandboxKey: state.running ? c.netnsPath : '',
      Ports: portMap(c, config.exposedPorts, state.running),
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      ...legacyEndpointFields(c),
      Networks: networksFor(c),
    },
  };
}

function hostConfig(spec: runtime.ContainerSpec, runtimeName: string): Record<string, unknown> {
  const r = spec.resources;
  const binds = spec.binds.filter((b) => !isVolumePath(b)); // bare paths are Config.Volumes
  return {
    Binds: binds.length > 0 ? binds : null,
    ContainerIDFile: '',
    LogConfig: { Type: 'k8s-file', Config: {} },
    NetworkMode: spec.networkMode,
    PortBindings: portBindingMap(spec),
    RestartPolicy: { Name: spec.restartPolicy?.name || 'no', MaximumRetryCount: spec.restartPolicy?.maximumRetryCount ?? 0 },
    AutoRemove: spec.autoRemove,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: spec.capAdd.length > 0 ? spec.capAdd : null,
    CapDrop: spec.capDrop.length > 0 ? spec.capDrop : null,
    CgroupnsMode: 'host',
    Dns: spec.dns,
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: spec.extraHosts.length > 0 ? spec.extraHosts : null,
    GroupAdd: null,
    IpcMode: spec.ipcMode || 'private',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: spec.pidMode,
    Privileged: spec.privileged,
    PublishAllPorts: spec.publishAllPorts,
    ReadonlyRootfs: spec.readOnlyRootfs,
    SecurityOpt: spec.securityOpt.length > 0 ? spec.securityOpt : null,
    ...(Object.keys(spec.tmpfs).length > 0 && { Tmpfs: spec.tmpfs }),
    UTSMode: spec.utsMode,
    UsernsMode: '',
    ShmSize: 67108864,
    Runtime: runtimeName || 'runc',
    Isolation: '',
    CpuShares: r?.cpuShares ?? 0,
    Memory: r?.memory ?? 0,
    NanoCpus: r?.nanoCpus ?? 0,
    CgroupParent: '',
    BlkioWeight: r?.blkioWeight ?? 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: r?.cpuPeriod ?? 0,
    CpuQuota: r?.cpuQuota ?? 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: r?.cpusetCpus ?? '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: r?.memorySwap ?? 0,
    MemorySwappiness: null,
    OomKillDisable: false,
    PidsLimit: r && r.pidsLimit > 0 ? r.pidsLimit : null,
    Ulimits: [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.options.includes('ro') })),
    Init: spec.init,
  };
}

/** Overlay layer directories, from the rootfs mount's options (what Docker shows under GraphDriver.Data). */
function graphDriverData(mounts: types.Mount[]): Record<string, string> | null {
  const overlay = mounts.find((m) => m.type === 'overlay');
  if (!overlay) return null;
  const opt = (name: string): string => overlay.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1) ?? '';
  return { LowerDir: opt('lowerdir'), UpperDir: opt('upperdir'), WorkDir: opt('workdir'), MergedDir: '' };
}
