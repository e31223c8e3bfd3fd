import path from 'node:path';
import { BerthError } from '@berth/kit';
import type { ContainerSpec } from '../domain/container.js';
import type { ResolvedUser } from '../domain/user.js';
import { defaultMounts, effectiveCapabilities, MASKED_PATHS, READONLY_PATHS, type OciMount } from './spec-defaults.js';
import { parseSeccompProfile, toOciSeccomp, type DockerSeccomp, type OciSeccomp } from './seccomp.js';
import { ociResources } from './resources.js';
import { userMounts } from './user-mounts.js';
import { ociRlimits } from './rlimits.js';
import type { SharedNamespaces } from '../domain/namespace-modes.js';

export interface SpecInput {
  spec: ContainerSpec;
  args: string[];
  env: string[];
  user: ResolvedUser;
  hostname: string;
  rootfs: string;
  /** The files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** undefined: a new empty netns; "host": the host's; otherwise a netns file made by the network service. */
  netns?: string;
  /** "/berth/<id>": cgroupfs-driver path. */
  cgroupsPath: string;
  /** The default profile (Docker format), when the host has one. */
  seccomp?: DockerSeccomp;
  /** A static init binary for `--init` (tini-static, catatonit). */
  initBinary?: string;
  /** The default seccomp filter covers only the host's own architecture (config runtime.seccompArches). */
  seccompNativeOnly?: boolean;
  /** The blkio weight is berth's to write (resources.ts blkioBfqOnly), not the runtime's. */
  blkioBfqOnly?: boolean;
  /** What "all capabilities" means on this host (its bounding set). */
  availableCaps?: ReadonlySet<string>;
  /** Namespaces joined from other containers (--pid/--ipc container:<x>). */
  shared?: SharedNamespaces;
  /** Extra bind mounts (named and anonymous volumes), already resolved to host paths. */
  volumeMounts?: OciMount[];
}

/** The OCI runtime spec (config.json) for a container; only what berth sets, runtime-spec 1.0.2. */
export function buildSpec(input: SpecInput): Record<string, unknown> {
  const { spec } = input;
  const caps = effectiveCapabilities(spec, input.availableCaps);
  const sec = securityOptions(spec.securityOpt);
  let args = input.args;
  const mounts: OciMount[] = shmMount(defaultMounts(), spec, input.shared);
  if (spec.init) {
    if (!input.initBinary) throw new BerthError('failed_precondition', 'no init binary (tini-static or catatonit) is installed');
    mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: input.initBinary, options: ['rbind', 'ro', 'rprivate'] });
    args = ['/sbin/docker-init', '--', ...args];
  }
  const etcOpts = input.netns === 'host' ? ['rbind', 'ro', 'rprivate'] : ['rbind', 'rprivate'];
  mounts.push(
    { destination: '/etc/hostname', type: 'bind', source: input.etcFiles.hostname, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: input.etcFiles.hosts, options: etcOpts },
    { destination: '/etc/resolv.conf', type: 'bind', source: input.etcFiles.resolvConf, options: etcOpts },
  );
  mounts.push(...userMounts(spec), ...(input.volumeMounts ?? []));
  // --pid/--ipc/--uts host: the host's namespace (none of its own); container:<x>: that container's.
  const ns = (type: string, mode: string, joined?: string) =>
    mode === 'host' ? [] : [joined ? { type, path: joined } : { type }];
  const namespaces: Array<{ type: string; path?: string }> = [
    ...ns('pid', spec.pidMode, input.shared?.pid),
    ...ns('ipc', spec.ipcMode, input.shared?.ipc),
    ...ns('uts', spec.utsMode),
    { type: 'mount' },
  ];
  if (input.netns === undefined) namespaces.push({ type: 'network' });
  else if (input.netns !== 'host') namespaces.push({ type: 'network', path: input.netns });
  let seccomp: OciSeccomp | undefined;
  if (!spec.privileged && sec.seccomp !== 'unconfined') {
    const profile = sec.seccomp ? parseSeccompProfile(sec.seccomp, 'from security_opt') : input.seccomp;
    // The default profile follows config runtime.seccompArches; a profile the user gave is taken as it is.
    if (profile) seccomp = toOciSeccomp(profile, caps, process.arch, { subArchitectures: Boolean(sec.seccomp) || !input.seccompNativeOnly });
  }
  const linux: Record<string, unknown> = {
    namespaces,
    cgroupsPath: input.cgroupsPath,
    resources: { devices: [{ allow: false, access: 'rwm' }], ...ociResources(spec.resources, { bfqWeight: Boolean(input.blkioBfqOnly) }) },
    maskedPaths: spec.privileged ? [] : MASKED_PATHS,
    readonlyPaths: spec.privileged ? [] : READONLY_PATHS,
  };
  if (seccomp) linux.seccomp = seccomp;
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: spec.tty,
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids },
      args,
      env: input.env,
      cwd: spec.workingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: sec.noNewPrivileges,
      // Only the requested ulimits (validated at create to stay at or below this host's hard limits):
      // raising one above the inherited hard limit needs CAP_SYS_RESOURCE (see DESIGN).
      ...(spec.ulimits?.length ? { rlimits: ociRlimits(spec.ulimits) } : {}),
    },
    root: { path: input.rootfs, readonly: spec.readOnlyRootfs },
    ...(spec.utsMode === 'host' ? {} : { hostname: input.hostname }),
    ...(spec.domainname && spec.utsMode !== 'host' ? { domainname: spec.domainname } : {}),
    mounts: sortMounts(mounts),
    linux,
    annotations: { 'org.berth.container': 'true' },
  };
}

/**
 * /dev/shm as Docker makes it: a private tmpfs (64 MiB, or --shm-size), the host's for --ipc host,
 * the other container's for --ipc container:<x>, none for --ipc none.
 */
function shmMount(mounts: OciMount[], spec: ContainerSpec, shared?: SharedNamespaces): OciMount[] {
  const rest = mounts.filter((m) => m.destination !== '/dev/shm');
  const shm = mounts.find((m) => m.destination === '/dev/shm')!;
  if (spec.ipcMode === 'none') return rest;
  if (spec.ipcMode === 'host') return [...rest, { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] }];
  if (shared?.shm) return [...rest, { destination: '/dev/shm', type: 'bind', source: shared.shm, options: ['rbind', 'rprivate'] }];
  if (!spec.shmSize) return mounts;
  const options = (shm.options ?? []).map((o) => (o.startsWith('size=') ? `size=${spec.shmSize}` : o));
  return [...rest, { ...shm, options }];
}

/** Parents before children, as runc mounts in order (a bind under /dev must follow the /dev tmpfs). */
function sortMounts(mounts: OciMount[]): OciMount[] {
  const depth = (m: OciMount) => path.normalize(m.destination).split('/').filter(Boolean).length;
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i).map(({ m }) => m);
}

/** Docker's --security-opt values berth understands: no-new-privileges[:true|false], seccomp=unconfined|<json>. */
export function securityOptions(opts: string[]): { noNewPrivileges: boolean; seccomp?: string } {
  const out: { noNewPrivileges: boolean; seccomp?: string } = { noNewPrivileges: false };
  for (const opt of opts) {
    const [key = '', value] = splitOnce(opt, opt.includes('=') ? '=' : ':');
    if (key === 'no-new-privileges') out.noNewPrivileges = value === undefined || value === 'true';
    else if (key === 'seccomp' && value) out.seccomp = value;
    else if (key === 'label' || key === 'apparmor') continue; // no LSM on these hosts; accepted like Docker without one
    else throw new BerthError('invalid_argument', `invalid --security-opt: ${JSON.stringify(opt)}`);
  }
  return out;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
