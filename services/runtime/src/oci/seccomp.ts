import { readFile } from 'node:fs/promises';
import { BerthError } from '@berth/kit';

/** The seccomp profile Debian's golang-github-containers-common installs (Docker's format). */
export const DEFAULT_SECCOMP_PROFILE = '/usr/share/containers/seccomp.json';

/** Docker/containers-common profile format (moby profiles/seccomp/seccomp.go). */
interface DockerSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] }>;
  syscalls?: Array<{
    name?: string;
    names?: string[];
    action: string;
    errnoRet?: number;
    args?: Array<{ index: number; value: number; valueTwo?: number; op: string }>;
    includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
    excludes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  }>;
  flags?: string[];
}

/** The OCI runtime-spec `linux.seccomp` shape. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  syscalls: Array<{ names: string[]; action: string; errnoRet?: number; args?: Array<{ index: number; value: number; valueTwo: number; op: string }> }>;
}

/** Node's process.arch → Go's GOARCH (the profile's "arches" vocabulary) and libseccomp's name. */
const ARCHES: Record<string, { go: string; scmp: string }> = {
  x64: { go: 'amd64', scmp: 'SCMP_ARCH_X86_64' },
  arm64: { go: 'arm64', scmp: 'SCMP_ARCH_AARCH64' },
  arm: { go: 'arm', scmp: 'SCMP_ARCH_ARM' },
  ia32: { go: '386', scmp: 'SCMP_ARCH_X86' },
  s390x: { go: 's390x', scmp: 'SCMP_ARCH_S390X' },
  ppc64: { go: 'ppc64le', scmp: 'SCMP_ARCH_PPC64LE' },
  riscv64: { go: 'riscv64', scmp: 'SCMP_ARCH_RISCV64' },
};

/**
 * Converts a Docker-format profile to the OCI shape for one container, as moby's setupSeccomp
 * does: rules are kept or dropped by the container's capabilities and the host architecture.
 */
export function toOciSeccomp(
  profile: DockerSeccomp, caps: readonly string[], arch: string = process.arch, opts: { subArchitectures?: boolean } = {},
): OciSeccomp {
  const a = ARCHES[arch] ?? { go: arch, scmp: '' };
  // Sub-architectures (x86 and x32 beside x86_64) triple the rules runc's libseccomp compiles:
  // without them, syscalls of those ABIs meet the filter's bad-arch action (the process is killed).
  const subs = opts.subArchitectures ?? true;
  const architectures = profile.architectures?.length
    ? profile.architectures
    : (profile.archMap ?? []).filter((m) => m.architecture === a.scmp).flatMap((m) => [m.architecture, ...(subs ? (m.subArchitectures ?? []) : [])]);
  const has = new Set(caps);
  const syscalls: OciSeccomp['syscalls'] = [];
  for (const rule of profile.syscalls ?? []) {
    const inc = rule.includes ?? {};
    const exc = rule.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(a.go)) continue;
    if (exc.arches?.length && exc.arches.includes(a.go)) continue;
    if (inc.caps?.length && !inc.caps.every((c) => has.has(c))) continue;
    if (exc.caps?.length && exc.caps.some((c) => has.has(c))) continue;
    const names = rule.names?.length ? rule.names : rule.name ? [rule.name] : [];
    if (names.length === 0) continue;
    const out: OciSeccomp['syscalls'][number] = { names, action: rule.action };
    if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
    if (rule.args?.length) out.args = rule.args.map((x) => ({ index: x.index, value: x.value, valueTwo: x.valueTwo ?? 0, op: x.op }));
    syscalls.push(out);
  }
  const oci: OciSeccomp = { defaultAction: profile.defaultAction, architectures, syscalls };
  if (profile.defaultErrnoRet !== undefined) oci.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) oci.flags = profile.flags;
  return oci;
}

export function parseSeccompProfile(json: string, origin: string): DockerSeccomp {
  try {
    const doc = JSON.parse(json) as DockerSeccomp;
    if (typeof doc.defaultAction !== 'string') throw new Error('no defaultAction');
    return doc;
  } catch (err) {
    throw new BerthError('invalid_argument', `seccomp profile ${origin}: ${(err as Error).message}`, { cause: err });
  }
}

/** The host's default profile, or undefined when the file is not installed (then no filter, with a warning). */
export async function loadDefaultSeccomp(file = DEFAULT_SECCOMP_PROFILE): Promise<DockerSeccomp | undefined> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  return text === undefined ? undefined : parseSeccompProfile(text, file);
}

export type { DockerSeccomp };
