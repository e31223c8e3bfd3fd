import { BerthError } from '@berth/kit';
import type { runtime, types } from '@berth/proto';
import { Status, type Container, type ContainerSpec, type MountSpec, type Resources } from '../domain/container.js';
import type { LogRecord } from '../logs/k8s-file.js';
import type { EndpointConfig, NetworkAttachment } from '../domain/network-attachments.js';

const mountIn = (m: types.Mount): MountSpec => ({ type: m.type, source: m.source, target: m.target, options: [...m.options] });
const mountOut = (m: MountSpec): types.Mount => ({ type: m.type, source: m.source, target: m.target, options: m.options });

/** Proto zeros mean "not set" for resources. */
export function resourcesIn(r: runtime.Resources | undefined): Resources {
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
    ...(r.cpusetMems ? { cpusetMems: r.cpusetMems } : {}),
    ...(r.memoryReservation ? { memoryReservation: r.memoryReservation } : {}),
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
    endpointsConfig: (p.endpointsConfig ?? []).map((e) => ({ network: e.network, aliases: [...e.aliases], ipv4Address: e.ipv4Address })),
  };
  if (p.ulimits?.values.length) spec.ulimits = p.ulimits.values.map((u) => ({ name: u.name, soft: u.soft, hard: u.hard }));
  if (p.shmSize) spec.shmSize = p.shmSize;
  if (p.healthcheck) spec.healthcheck = { ...p.healthcheck, test: [...p.healthcheck.test] };
  if (p.healthOnFailure) spec.healthOnFailure = p.healthOnFailure;
  if (p.cmd) spec.cmd = [...p.cmd.values];
  if (p.entrypoint) spec.entrypoint = [...p.entrypoint.values];
  if (p.stopTimeout !== undefined) spec.stopTimeout = p.stopTimeout;
  return spec;
}

export function specToProto(s: ContainerSpec): runtime.ContainerSpec {
  const { cmd, entrypoint, stopTimeout, resources, mounts, ulimits, ...rest } = s;
  return {
    ...rest,
    ...(ulimits ? { ulimits: { values: ulimits } } : {}),
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
      ...(c.health ? { health: c.health } : {}),
    },
    path: c.path, args: c.args, restartCount: c.restartCount, logPath: c.logPath, runtime: c.runtime,
    imageConfig: c.imageConfig, rootfsMounts: c.rootfsMounts.map(mountOut), netnsPath: c.netnsPath,
    networks: c.networks.map(attachmentOut), ports: c.ports,
  };
}

export function endpointConfigIn(e: runtime.EndpointConfig | undefined): EndpointConfig {
  if (!e?.network) throw new BerthError('invalid_argument', 'network is required');
  return { network: e.network, aliases: [...e.aliases], ipv4Address: e.ipv4Address };
}

function attachmentOut(a: NetworkAttachment): runtime.NetworkAttachment {
  return { config: a.config, networkId: a.networkId, ...(a.endpoint ? { endpoint: a.endpoint } : {}) };
}

export function filtersFromProto(filters: types.Filter[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of filters) (out[f.key] ??= []).push(...f.values);
  return out;
}

export function logEntryToProto(r: LogRecord): runtime.LogEntry {
  return { stream: r.stream, data: r.data, timestamp: r.timestamp };
}
