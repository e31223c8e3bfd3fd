import { flagBool, flagList, flagString, type FlagSpec, type ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';

export interface RunOptions {
  image: string;
  command: string[];
  detach: boolean;
  rm: boolean;
  name?: string;
  env: string[];
  network?: string;
  /** undefined: the image's; "" resets it. */
  entrypoint?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  tty: boolean;
  interactive: boolean;
  labels: string[];
  publish: string[];
  publishAll: boolean;
  networkAliases: string[];
  ip?: string;
  pull: 'missing' | 'always' | 'never';
}

export const RUN_FLAGS: FlagSpec[] = [
  { long: 'detach', short: 'd', kind: 'bool', description: 'Run container in background and print container ID' },
  { long: 'rm', kind: 'bool', description: 'Automatically remove the container when it exits' },
  { long: 'name', kind: 'string', valueName: 'string', description: 'Assign a name to the container' },
  { long: 'env', short: 'e', kind: 'list', valueName: 'list', description: 'Set environment variables' },
  { long: 'network', kind: 'string', valueName: 'network', description: 'Connect a container to a network (none, host)' },
  { long: 'net', kind: 'string', valueName: 'network', description: 'Same as --network' },
  { long: 'entrypoint', kind: 'string', valueName: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
  { long: 'workdir', short: 'w', kind: 'string', valueName: 'string', description: 'Working directory inside the container' },
  { long: 'user', short: 'u', kind: 'string', valueName: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { long: 'hostname', short: 'h', kind: 'string', valueName: 'string', description: 'Container host name' },
  { long: 'tty', short: 't', kind: 'bool', description: 'Allocate a pseudo-TTY' },
  { long: 'interactive', short: 'i', kind: 'bool', description: 'Keep STDIN open even if not attached' },
  { long: 'label', short: 'l', kind: 'list', valueName: 'list', description: 'Set meta data on a container' },
  { long: 'publish', short: 'p', kind: 'list', valueName: 'list', description: "Publish a container's port(s) to the host" },
  { long: 'publish-all', short: 'P', kind: 'bool', description: 'Publish all exposed ports to random ports' },
  { long: 'network-alias', kind: 'list', valueName: 'list', description: 'Add network-scoped alias for the container' },
  { long: 'ip', kind: 'string', valueName: 'string', description: 'IPv4 address (e.g., 172.30.100.104)' },
  { long: 'pull', kind: 'string', valueName: 'string', description: 'Pull image before running ("always", "missing", "never")' },
];

export function parseRunOptions(args: ParsedArgs): RunOptions {
  const [image, ...command] = args.positionals;
  if (image === undefined) throw new UsageError('"run" requires at least 1 argument.');
  const pull = flagString(args, 'pull') ?? 'missing';
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') throw new UsageError(`invalid pull option: '${pull}'`);
  const opt = (long: string) => flagString(args, long);
  const network = opt('network') ?? opt('net');
  const o: RunOptions = {
    image,
    command,
    detach: flagBool(args, 'detach'),
    rm: flagBool(args, 'rm'),
    env: flagList(args, 'env'),
    tty: flagBool(args, 'tty'),
    interactive: flagBool(args, 'interactive'),
    labels: flagList(args, 'label'),
    publish: flagList(args, 'publish'),
    publishAll: flagBool(args, 'publish-all'),
    networkAliases: flagList(args, 'network-alias'),
    pull,
  };
  if (opt('name') !== undefined) o.name = opt('name')!;
  if (network !== undefined) o.network = network;
  if (opt('ip') !== undefined) o.ip = opt('ip')!;
  if (opt('entrypoint') !== undefined) o.entrypoint = opt('entrypoint')!;
  if (opt('workdir') !== undefined) o.workdir = opt('workdir')!;
  if (opt('user') !== undefined) o.user = opt('user')!;
  if (opt('hostname') !== undefined) o.hostname = opt('hostname')!;
  return o;
}

/** `-p [ip:][hostPort:]containerPort[/proto]` → Docker's ExposedPorts and PortBindings. */
export function parsePublish(specs: string[]): { exposed: Record<string, object>; bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const spec of specs) {
    const [addr, proto = 'tcp'] = spec.split('/');
    const parts = addr!.split(':');
    const containerPort = parts.pop()!;
    const hostPort = parts.pop() ?? '';
    const hostIp = parts.join(':');
    if (!/^\d+$/.test(containerPort)) throw new UsageError(`invalid containerPort: ${containerPort}`);
    const key = `${containerPort}/${proto}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
  }
  return { exposed, bindings };
}

/** The `POST /containers/create` body for these options (Docker's Config + HostConfig). */
export function createBody(o: RunOptions): Record<string, unknown> {
  const labels = Object.fromEntries(o.labels.map((l) => [l.split('=', 1)[0]!, l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']));
  const ports = parsePublish(o.publish);
  return {
    Image: o.image,
    Cmd: o.command.length > 0 ? o.command : null,
    Entrypoint: o.entrypoint === undefined ? null : o.entrypoint === '' ? [] : [o.entrypoint],
    Env: o.env,
    WorkingDir: o.workdir ?? '',
    User: o.user ?? '',
    Hostname: o.hostname ?? '',
    Labels: labels,
    Tty: o.tty,
    OpenStdin: o.interactive,
    // As docker: an attached -i run closes the container's stdin when the CLI's input ends.
    StdinOnce: o.interactive && !o.detach,
    AttachStdin: o.interactive && !o.detach,
    AttachStdout: !o.detach,
    AttachStderr: !o.detach,
    ExposedPorts: ports.exposed,
    HostConfig: {
      NetworkMode: o.network ?? 'default',
      // In the foreground the CLI removes the container itself once it has read all output.
      AutoRemove: o.rm && o.detach,
      PortBindings: ports.bindings,
      PublishAllPorts: o.publishAll,
    },
    ...endpointsConfig(o),
  };
}

/** `--network-alias` and `--ip` apply to the network `--network` names (Docker's NetworkingConfig). */
function endpointsConfig(o: RunOptions): Record<string, unknown> {
  if (o.networkAliases.length === 0 && o.ip === undefined) return {};
  const network = o.network ?? 'default';
  return { NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: o.networkAliases, IPAMConfig: o.ip ? { IPv4Address: o.ip } : null } } } };
}
