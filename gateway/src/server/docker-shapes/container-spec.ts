import path from 'node:path';
import { BerthError } from '@berth/kit';
import type { runtime, types } from '@berth/proto';
import {
  asObject,
  optBool,
  optInt,
  optString,
  optStringMap,
  optStrings,
  optStrSlice,
  type JsonObject,
} from './json-fields.js';
import { specExtrasFromDocker } from './runtime-extras.js';
import { endpointsConfigFromDocker } from './networking-config.js';

/**
 * `POST /containers/create`: Docker's body is the container Config with two more members,
 * HostConfig and NetworkingConfig. This maps it to the runtime's ContainerSpec; it validates types
 * only, the runtime validates meaning.
 */
export function containerSpecFromDocker(body: unknown): runtime.ContainerSpec {
  if (body === undefined) throw new BerthError('invalid_argument', 'config cannot be empty in order to create a container');
  const config = asObject(body, 'Config');
  const host = asObject(config['HostConfig'], 'HostConfig');
  const image = optString(config, 'Image');
  if (image === '') throw new BerthError('invalid_argument', 'no image specified: Image is required');
  const cmd = optStrSlice(config, 'Cmd');
  // The docker CLI sends [""] for `--entrypoint ""`: Docker treats it as "no entrypoint".
  const rawEntrypoint = optStrSlice(config, 'Entrypoint');
  const entrypoint = rawEntrypoint?.length === 1 && rawEntrypoint[0] === '' ? [] : rawEntrypoint;
  const stopTimeout = optInt(config, 'StopTimeout');
  return {
    image,
    ...(cmd !== undefined && { cmd: { values: cmd } }),
    ...(entrypoint !== undefined && { entrypoint: { values: entrypoint } }),
    env: optStrings(config, 'Env'),
    workingDir: optString(config, 'WorkingDir'),
    user: optString(config, 'User'),
    hostname: optString(config, 'Hostname'),
    domainname: optString(config, 'Domainname'),
    labels: optStringMap(config, 'Labels'),
    tty: optBool(config, 'Tty'),
    openStdin: optBool(config, 'OpenStdin'),
    stopSignal: optString(config, 'StopSignal'),
    ...(stopTimeout !== undefined && { stopTimeout }),
    // Docker stores an unset mode as "default" (the bridge on Linux); the runtime decides what it means.
    networkMode: optString(host, 'NetworkMode', 'HostConfig.NetworkMode') || 'default',
    autoRemove: optBool(host, 'AutoRemove', 'HostConfig.AutoRemove'),
    restartPolicy: restartPolicy(host),
    exposedPorts: Object.keys(asObject(config['ExposedPorts'], 'ExposedPorts')),
    portBindings: portBindings(host),
    publishAllPorts: optBool(host, 'PublishAllPorts', 'HostConfig.PublishAllPorts'),
    resources: resources(host),
    binds: bindsWithVolumes(config, host),
    mounts: mounts(host),
    privileged: optBool(host, 'Privileged', 'HostConfig.Privileged'),
    capAdd: optStrSlice(host, 'CapAdd', 'HostConfig.CapAdd') ?? [],
    capDrop: optStrSlice(host, 'CapDrop', 'HostConfig.CapDrop') ?? [],
    securityOpt: optStrings(host, 'SecurityOpt', 'HostConfig.SecurityOpt'),
    readOnlyRootfs: optBool(host, 'ReadonlyRootfs', 'HostConfig.ReadonlyRootfs'),
    tmpfs: optStringMap(host, 'Tmpfs', 'HostConfig.Tmpfs'),
    init: optBool(host, 'Init', 'HostConfig.Init'),
    pidMode: optString(host, 'PidMode', 'HostConfig.PidMode'),
    ipcMode: optString(host, 'IpcMode', 'HostConfig.IpcMode'),
    utsMode: optString(host, 'UTSMode', 'HostConfig.UTSMode'),
    dns: optStrings(host, 'Dns', 'HostConfig.Dns'),
    extraHosts: optStrings(host, 'ExtraHosts', 'HostConfig.ExtraHosts'),
    attachStdin: optBool(config, 'AttachStdin'),
    attachStdout: optBool(config, 'AttachStdout'),
    attachStderr: optBool(config, 'AttachStderr'),
    stdinOnce: optBool(config, 'StdinOnce'),
    endpointsConfig: endpointsConfigFromDocker(config),
    ...specExtrasFromDocker(config, host),
  };
}

function restartPolicy(host: JsonObject): runtime.RestartPolicy {
  const p = asObject(host['RestartPolicy'], 'HostConfig.RestartPolicy');
  return {
    name: optString(p, 'Name', 'HostConfig.RestartPolicy.Name'),
    maximumRetryCount: optInt(p, 'MaximumRetryCount', 'HostConfig.RestartPolicy.MaximumRetryCount') ?? 0,
  };
}

/** `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}` → one binding per host side. */
function portBindings(host: JsonObject): runtime.PortBinding[] {
  const bindings: runtime.PortBinding[] = [];
  for (const [containerPort, list] of Object.entries(asObject(host['PortBindings'], 'HostConfig.PortBindings'))) {
    if (list === null) continue;
    if (!Array.isArray(list)) throw new BerthError('invalid_argument', `invalid JSON: field HostConfig.PortBindings.${containerPort}: expected a list`);
    for (const entry of list) {
      const b = asObject(entry, `HostConfig.PortBindings.${containerPort}`);
      bindings.push({ containerPort, hostIp: optString(b, 'HostIp'), hostPort: optString(b, 'HostPort') });
    }
  }
  return bindings;
}

function resources(host: JsonObject): runtime.Resources {
  const n = (key: string): number => optInt(host, key, `HostConfig.${key}`) ?? 0;
  return {
    memory: n('Memory'),
    memorySwap: n('MemorySwap'),
    nanoCpus: n('NanoCpus'),
    cpuShares: n('CpuShares'),
    cpuPeriod: n('CpuPeriod'),
    cpuQuota: n('CpuQuota'),
    cpusetCpus: optString(host, 'CpusetCpus', 'HostConfig.CpusetCpus'),
    pidsLimit: n('PidsLimit'),
    blkioWeight: n('BlkioWeight'),
  };
}

/**
 * HostConfig.Binds plus Config.Volumes: the docker CLI puts `-v /data` (a volume without a source)
 * in Config.Volumes, and Docker makes an anonymous volume for each. The runtime reads a bind that
 * is a bare path as exactly that, so each Config.Volumes destination that no bind, mount or tmpfs
 * already covers (those win, as in Docker) is passed on as one.
 */
function bindsWithVolumes(config: JsonObject, host: JsonObject): string[] {
  const binds = optStrings(host, 'Binds', 'HostConfig.Binds');
  const volumes = Object.keys(asObject(config['Volumes'], 'Volumes'));
  if (volumes.length === 0) return binds;
  const clean = (p: string) => path.posix.normalize(p).replace(/(.)\/+$/, '$1'); // "/a/b/" is "/a/b"
  const taken = new Set([
    ...binds.map((b) => clean(b.split(':')[1] ?? b)),
    ...mounts(host).map((m) => clean(m.target)),
    ...Object.keys(optStringMap(host, 'Tmpfs', 'HostConfig.Tmpfs')).map(clean),
  ]);
  const out = [...binds];
  for (const v of volumes) {
    if (v === '' || taken.has(clean(v))) continue;
    taken.add(clean(v));
    out.push(v);
  }
  return out;
}

/** HostConfig.Mounts (`--mount`): Type/Source/Target/ReadOnly; read-only becomes the "ro" option. */
function mounts(host: JsonObject): types.Mount[] {
  const list = host['Mounts'];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new BerthError('invalid_argument', 'invalid JSON: field HostConfig.Mounts: expected a list');
  return list.map((entry, i) => {
    const m = asObject(entry, `HostConfig.Mounts[${i}]`);
    return {
      type: optString(m, 'Type', `HostConfig.Mounts[${i}].Type`),
      source: optString(m, 'Source', `HostConfig.Mounts[${i}].Source`),
      target: optString(m, 'Target', `HostConfig.Mounts[${i}].Target`),
      options: optBool(m, 'ReadOnly', `HostConfig.Mounts[${i}].ReadOnly`) ? ['ro'] : [],
    };
  });
}

/** Docker's rule for `?name=`: optional leading "/", then [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
export function validContainerName(name: string): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(bare)) {
    throw new BerthError('invalid_argument', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return bare;
}
