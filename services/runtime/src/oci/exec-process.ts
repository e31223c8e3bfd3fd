import { effectiveCapabilities } from './spec-defaults.js';
import { securityOptions } from './spec-builder.js';
import { ociRlimits } from './rlimits.js';
import type { ContainerSpec } from '../domain/container.js';
import type { ResolvedUser } from '../domain/user.js';

export interface ExecProcessInput {
  container: ContainerSpec;
  args: string[];
  env: string[];
  user: ResolvedUser;
  cwd: string;
  tty: boolean;
  privileged: boolean;
  /** This host's bounding set: what a privileged exec gets. */
  availableCaps?: ReadonlySet<string>;
  consoleSize?: { height: number; width: number };
}

/**
 * The OCI `process` for `runtime exec --process`: the exec's argv, env, user and working dir with
 * the container's capabilities (all of them for a privileged exec, as Docker) and its
 * no-new-privileges setting. Namespaces, cgroup, seccomp and mounts are the container's.
 */
export function buildExecProcess(input: ExecProcessInput): Record<string, unknown> {
  const caps = effectiveCapabilities(input.privileged ? { ...input.container, privileged: true } : input.container, input.availableCaps);
  const { noNewPrivileges } = securityOptions(input.container.securityOpt);
  const proc: Record<string, unknown> = {
    terminal: input.tty,
    user: { uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids },
    args: input.args,
    env: input.env,
    cwd: input.cwd || '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges,
    ...(input.container.ulimits?.length ? { rlimits: ociRlimits(input.container.ulimits) } : {}),
  };
  if (input.tty && input.consoleSize && input.consoleSize.height > 0 && input.consoleSize.width > 0) {
    proc.consoleSize = { height: input.consoleSize.height, width: input.consoleSize.width };
  }
  return proc;
}
