import { access, constants, mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BerthError, DEFAULT_PATH, runCommand, type Logger } from '@berth/kit';
import { hybridWithV2Controllers, writeWrapper } from './crun-v1-view.js';
import { OciRuntimeCli } from './runc.js';

/** The first executable named `name` on PATH (or the path itself when it has a slash). */
export async function findBinary(name: string, searchPath = DEFAULT_PATH): Promise<string | undefined> {
  const candidates = name.includes('/') ? [name] : searchPath.split(':').map((d) => path.join(d, name));
  for (const c of candidates) {
    if (await access(c, constants.X_OK).then(() => true, () => false)) return c;
  }
  return undefined;
}

/** Static binaries that can run in an empty rootfs, for the trial container. */
const STATIC_PROBES = ['/bin/busybox', '/usr/bin/catatonit', '/usr/bin/tini-static'];

/**
 * Runs a throwaway container with `binary` (a static host binary bind-mounted into an empty
 * rootfs, default namespaces and a cgroup): proof that this runtime works on this host. crun 1.8
 * fails here on cgroup-hybrid hosts, which `--version` would never show.
 */
export async function trialRun(binary: string, cgroupParent: string): Promise<string | undefined> {
  let probe: string | undefined;
  for (const p of STATIC_PROBES) if (await access(p, constants.X_OK).then(() => true, () => false)) probe = p;
  if (!probe) return 'no static binary to run a trial container with';
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-probe-'));
  const id = `berth-probe-${randomBytes(6).toString('hex')}`;
  try {
    await mkdir(path.join(dir, 'rootfs', 'probe'), { recursive: true });
    await mkdir(path.join(dir, 'rootfs', 'dev')); // crun, unlike runc, needs the mount point
    const args = probe.endsWith('busybox') ? ['/probe/bin', 'true'] : ['/probe/bin', '--version'];
    const spec = {
      ociVersion: '1.0.2-dev',
      process: { terminal: false, user: { uid: 0, gid: 0 }, args, env: [`PATH=${DEFAULT_PATH}`], cwd: '/' },
      root: { path: 'rootfs', readonly: true },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/probe/bin', type: 'bind', source: probe, options: ['rbind', 'ro'] },
      ],
      linux: {
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
        cgroupsPath: `/${cgroupParent}/${id}`,
      },
    };
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(spec));
    await runCommand(binary, ['--root', path.join(dir, 'state'), 'run', '--bundle', dir, id], { timeoutMs: 20_000 });
    return undefined;
  } catch (err) {
    await runCommand(binary, ['--root', path.join(dir, 'state'), 'delete', '--force', id], { okCodes: [0, 1] }).catch(() => undefined);
    return (err as Error).message;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ProbedRuntime {
  name: string;
  /** What runs: the runtime, or crun's v1-view wrapper on a cgroup-hybrid host. */
  binary: string;
}

export interface ProbeOptions {
  /** Where crun's v1-view wrapper is written when this host needs it. */
  wrapperDir: string;
  perl?: string;
}

/**
 * How runtime `name` runs here, without a trial: crun on a host that is cgroup-hybrid with a v2
 * controller goes through the v1-view wrapper (crun refuses such hosts otherwise). undefined when
 * it is not installed, or needs the wrapper and it cannot be made (no perl, unknown architecture).
 */
export async function runtimeBinary(name: string, opts: ProbeOptions): Promise<string | undefined> {
  const binary = await findBinary(name);
  if (!binary || path.basename(name) !== 'crun' || !(await hybridWithV2Controllers())) return binary;
  return opts.perl ? writeWrapper(opts.wrapperDir, opts.perl, binary) : undefined;
}

/**
 * Picks the OCI runtime once at startup. `auto`: crun when it is installed and a trial container
 * runs (about twice as fast as runc to create and start one), else runc. A named runtime ("runc",
 * "crun" or a path) must pass the same trial.
 */
export async function probeRuntime(choice: string, cgroupParent: string, logger: Logger, opts: ProbeOptions): Promise<ProbedRuntime> {
  const candidates = choice === 'auto' || choice === '' ? ['crun', 'runc'] : [choice];
  const reasons: string[] = [];
  for (const name of candidates) {
    const binary = await runtimeBinary(name, opts);
    if (!binary) {
      reasons.push(`${name}: ${(await findBinary(name)) ? 'needs perl for its cgroup v1 view on this hybrid host' : 'not installed'}`);
      continue;
    }
    const failure = await trialRun(binary, cgroupParent);
    if (!failure) {
      logger.info({ runtime: name, binary }, 'OCI runtime selected');
      return { name: path.basename(name), binary };
    }
    logger.warn({ runtime: name, reason: failure }, 'OCI runtime does not work on this host');
    reasons.push(`${name}: ${failure}`);
  }
  throw new BerthError('unavailable', `no working OCI runtime: ${reasons.join('; ')}`);
}

/**
 * The runtimes other than `chosen` whose state roots still hold containers (say runc's, from
 * before crun was installed), so those containers stay managed by the runtime that made them.
 */
export async function earlierRuntimes(rootOf: (name: string) => string, chosen: string, opts: ProbeOptions, logger: Logger): Promise<OciRuntimeCli[]> {
  const out: OciRuntimeCli[] = [];
  for (const name of ['runc', 'crun'].filter((n) => n !== chosen)) {
    const root = rootOf(name);
    const held = await readdir(root).catch(() => []);
    if (held.length === 0) continue;
    const binary = await runtimeBinary(name, opts);
    if (!binary) {
      logger.warn({ runtime: name, containers: held.length }, 'containers of a runtime that is no longer installed: they cannot be managed');
      continue;
    }
    logger.info({ runtime: name, containers: held.length }, 'containers made by another OCI runtime stay with it');
    out.push(new OciRuntimeCli(name, binary, root));
  }
  return out;
}
