import { readFile, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CGROUP2_SUPER_MAGIC, CGROUP_ROOT } from './crun-state.js';

/**
 * crun 1.8 refuses cgroup "hybrid" hosts (v1 controllers, plus a cgroup2 mount at
 * /sys/fs/cgroup/unified that holds a controller — hugetlb on these machines): `cgroups in hybrid
 * mode not supported`. Where /sys/fs/cgroup/unified is not mounted, crun sees a plain v1 host and
 * works the v1 controllers as runc does — and starts a container in half runc's time. So on such a
 * host crun runs through a small wrapper that gives each crun process that view: a mount namespace
 * of its own (a copy of the host's, made a slave so nothing done in it reaches the host, while
 * unmounts on the host still reach it), with the cgroup2 mount detached, then exec crun. The
 * container crun makes gets its own mount namespace anyway; the wrapper's is gone when crun exits.
 * The containers live in the same v1 cgroups (cgroupsPath under each controller) as runc's would.
 *
 * The namespace also spares crun its start-up clone of itself. crun (runc's cloned_binary.c)
 * guards the host's binary against a container writing it through /proc/<pid>/exe
 * (CVE-2019-5736): unless /proc/self/exe is a sealed memfd, or is read-only with
 * `_LIBCONTAINER_CLONED_BINARY` set, it bind-mounts itself read-only on a temporary file and
 * re-executes from there — a second exec and dynamic link of crun, a mount, a lazy unmount and a
 * file in /tmp, on every call. The wrapper does the same bind in its own namespace, once, on crun's
 * path (read-only, invisible to the host, gone with the namespace) and sets the variable, which
 * is what crun's re-executed self sees: crun goes straight on. A bind that fails leaves crun
 * to clone itself as before.
 */

const UNIFIED = path.join(CGROUP_ROOT, 'unified');
const TMPFS_MAGIC = 0x01021994;

/** unshare(2), mount(2), umount2(2) by Node's process.arch. */
const SYSCALLS: Record<string, [unshare: number, mount: number, umount2: number]> = {
  x64: [272, 165, 166],
  arm64: [97, 40, 39],
  riscv64: [97, 40, 39],
};

const CLONE_NEWNS = 0x20000;
const MS_RDONLY = 0x1;
const MS_REMOUNT = 0x20;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_SLAVE = 0x80000;
const MNT_DETACH = 2;

/** Whether this host is cgroup-hybrid with a controller on its v2 mount: crun's refusal case. */
export async function hybridWithV2Controllers(): Promise<boolean> {
  const [root, unified] = await Promise.all([CGROUP_ROOT, UNIFIED].map((p) => statfs(p).catch(() => undefined)));
  if (root?.type !== TMPFS_MAGIC || unified?.type !== CGROUP2_SUPER_MAGIC) return false;
  const controllers = await readFile(path.join(UNIFIED, 'cgroup.controllers'), 'utf8').catch(() => '');
  return controllers.trim() !== '';
}

/** A Perl single-quoted string literal for `s` (only \ and ' need escaping there). */
function perlQuoted(s: string): string {
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** The wrapper's source: the syscall numbers and crun's path are fixed when it is written. */
export function wrapperSource(perl: string, crun: string, arch = process.arch): string | undefined {
  const nr = SYSCALLS[arch];
  if (!nr) return undefined;
  const [unshare, mount, umount2] = nr;
  // Perl's syscall passes strings as pointers to their buffers, which must be writable: variables, not literals.
  return [
    `#!${perl}`,
    '# Written by berth\'s runtime service (services/runtime/src/oci/crun-v1-view.ts): runs crun where',
    `# ${UNIFIED} is not mounted, so that crun works this cgroup-hybrid host's v1 controllers.`,
    '# No `use strict; use warnings`: loading warnings.pm alone costs more CPU than the rest.',
    `my ($root, $unified, $crun, $none) = ('/', ${perlQuoted(UNIFIED)}, ${perlQuoted(crun)}, '');`,
    `syscall(${unshare}, ${CLONE_NEWNS}) == 0 or die "crun-v1-view: unshare(CLONE_NEWNS): $!\\n";`,
    `syscall(${mount}, 0, $root, 0, ${MS_REC | MS_SLAVE}, 0) == 0 or die "crun-v1-view: making / a slave mount: $!\\n";`,
    `syscall(${umount2}, $unified, ${MNT_DETACH}) == 0 or die "crun-v1-view: umount $unified: $!\\n";`,
    '# crun read-only here, as its own clone of itself would be: it need not make one (see crun-v1-view.ts).',
    `$ENV{_LIBCONTAINER_CLONED_BINARY} = '1' if syscall(${mount}, $crun, $crun, 0, ${MS_BIND}, 0) == 0`,
    `  && syscall(${mount}, $none, $crun, 0, ${MS_REMOUNT | MS_BIND | MS_RDONLY}, 0) == 0;`,
    'exec { $crun } $crun, @ARGV or die "crun-v1-view: exec $crun: $!\\n";',
    '',
  ].join('\n');
}

/**
 * Writes the wrapper as `<dir>/crun-v1-view` (root-only, rewritten at every start of the service,
 * so it always names the crun found now). undefined when this architecture's numbers are unknown.
 */
export async function writeWrapper(dir: string, perl: string, crun: string): Promise<string | undefined> {
  const source = wrapperSource(perl, crun);
  if (!source) return undefined;
  const file = path.join(dir, 'crun-v1-view');
  await writeFile(file, source, { mode: 0o700 });
  return file;
}
