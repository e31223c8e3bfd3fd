import type { runtime, types } from '@berth/proto';
import { Status, type Container, type ContainerSpec, type MountSpec, type Resources } from '../domain/container.js';
import type { LogRecord } from '../logs/k8s-file.js';

const mountIn = (m: types.Mount): MountSpec => ({ type: m.type, source: m.source, target: m.target, options: [...m.options] });
const mountOut = (m: MountSpec): types.Mount => ({ type: m.type, source: m.source, target: m.target, options: m.options });

/** Proto zeros mean "not set" for resources. */
function resourcesIn(r: runtime.Resources | undefined): Resources {
  if (!r) return {};
  const out: Resources = {};
  for (const [k, v] of Object.entries(r) as Array<[keyof Resources, number | string]>) if (v) (out as Record<string, unknown>)[k] = v;
  return out;
}

function resourcesOut(r: Resources): runtime.Resources {
  return {
    memory: r.memory ?? 0, memorySwap: r.memorySwap ?? 0, nanoCpus: r.nanoCpus ?? 0, cpuShares: r.cpuShares ?? 0,
    cpuPeriod: r.cpuPeriod ?? 0, cpuQuota: r.cpuQuota ?? 0, cpusetCpus: r.cpusetCpus ?? '', pidsLimit: r.pidsLimit ?? 0,
    blkioWeight: r.blkioWeight ?? 0,
  };
}

export function specFromProto(s: runtime.ContainerSpec | undefined): ContainerSpec {
  const p = s ?? ({} as Partial<runtime.ContainerSpec>);
  const spec: ContainerSpec = {
    image: p.image ?? '', env: [...(p.env ?? [])], workingDir: p.workingDir ?? '', user: p.user ?? '',
    hostname: p.hostname ?? '', domainname: p.domainname ?? '', labels: { ...(p.labels ?? {}) }, tty: !!p.tty,
    openStdin: !!p.openStdin, stdinOnce: !!p.stdinOnce, attachStdin: !!p.attachStdin, attachStdout: !!p.attachStdout,
    attachStderr: !!p.attachStderr, stopSignal: p.stopSignal ?? '', networkMode: p.networkMode ?? '', autoRemove: !!p.autoRemove,
    restartPolicy: { name: p.restartPolicy?.name ?? '', maximumRetryCount: p.restartPolicy?.maximumRetryCount ?? 0 },
    exposedPorts: [...(p.exposedPorts ?? [])], portBindings: (p.portBindings ?? []).map((b) => ({ ...b })),
    publishAllPorts: !!p.publishAllPorts, resources: resourcesIn(p.resources), binds: [...(p.binds ?? [])],
    mounts: (p.mounts ?? []).map(mountIn), privileged: !!p.privileged, capAdd: [...(p.capAdd ?? [])],
    capDrop: [...(p.capDrop ?? [])], securityOpt: [...(p.securityOpt ?? [])], readOnlyRootfs: !!p.readOnlyRootfs,
    tmpfs: { ...(p.tmpfs ?? {}) }, init: !!p.init, pidMode: p.pidMode ?? '', ipcMode: p.ipcMode ?? '', utsMode: p.utsMode ?? '',
    dns: [...(p.dns ?? [])], extraHosts: [...(p.extraHosts ?? [])],
  };
  if (p.cmd) spec.cmd = [...p.cmd.values];
  if (p.entrypoint) spec.entrypoint = [...p.entrypoint.values];
  if (p.stopTimeout !== undefined) spec.stopTimeout = p.stopTimeout;
  return spec;
}

export function specToProto(s: ContainerSpec): runtime.ContainerSpec {
  const { cmd, entrypoint, stopTimeout, resources, mounts, ...rest } = s;
  return {
    ...rest,
    ...(cmd ? { cmd: { values: cmd } } : {}),
    ...(entrypoint ? { entrypoint: { values: entrypoint } } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout } : {}),
    resources: resourcesOut(resources),
    mounts: mounts.map(mountOut),
  };
}

export function containerToProto(c: Container): runtime.Container {
  const st = c.state.status;
  return {
    id: c.id, name: c.name, imageId: c.imageId, created: c.created, spec: specToProto(c.spec),
    state: {
      status: st, running: st === Status.Running || st === Status.Paused || st === Status.Restarting,
      paused: st === Status.Paused, restarting: st === Status.Restarting, oomKilled: c.state.oomKilled, dead: st === Status.Dead,
      pid: c.state.pid, exitCode: c.state.exitCode, error: c.state.error, startedAt: c.state.startedAt, finishedAt: c.state.finishedAt,
    },
    path: c.path, args: c.args, restartCount: c.restartCount, logPath: c.logPath, runtime: c.runtime,
    imageConfig: c.imageConfig, rootfsMounts: c.rootfsMounts.map(mountOut), netnsPath: c.netnsPath,
  };
}

export function filtersFromProto(filters: types.Filter[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of filters) (out[f.key] ??= []).push(...f.values);
  return out;
}

export function logEntryToProto(r: LogRecord): runtime.LogEntry {
  return { stream: r.stream, data: r.data, timestamp: r.timestamp };
}
