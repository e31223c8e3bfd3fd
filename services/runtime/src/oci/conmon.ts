import { mkdirSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, spawnDetached } from '@berth/kit';
import type { ContainerMonitor, ExecHandle, ExecLaunch, MonitorHandle, MonitorLaunch, OciRuntime, StdioSession } from '../domain/ports.js';
import type { RuntimePaths } from '../paths.js';
import type { AttachHub } from './attach-relay.js';
import { launchExec } from './conmon-exec.js';
import { createFailure } from './create-failure.js';
import { CtlMessage, writeCtl } from './ctl-fifo.js';
import type { PerlHelper } from './perl-helper.js';
import { procStat, readSmall, removeTree } from './small-files.js';

export interface ConmonOptions {
  binary: string;
  runtime: OciRuntime;
  paths: RuntimePaths;
  /** Attach sessions (relays forked by the helper). */
  hub: AttachHub;
  /** Starts conmon without forking this service, when it can. */
  helper?: PerlHelper;
  /** Held while an exec's process is created (oci/cgroup-warm.ts). */
  cgroupAttach?: { hold(): () => void };
  createTimeoutMs?: number;
}

/** /proc/<pid>/stat's state letter, or undefined when there is no such process. */
async function procState(pid: number): Promise<string | undefined> {
  return procStat(pid)?.[0];
}

/**
 * Launches conmon as podman does (api-version 1, k8s-file log, exit dir, socket dir), with --sync
 * so it forks once: it is our direct child, spawned in its own session with stdio on /dev/null and
 * unreferenced, so it outlives this service. conmon runs `<runtime> create`; the runtime writes the
 * pid file when the container exists; we wait for that file or for conmon's death.
 */
export class ConmonMonitor implements ContainerMonitor {
  constructor(private readonly opts: ConmonOptions) {}

  async launch(l: MonitorLaunch): Promise<MonitorHandle> {
    const { paths, runtime } = this.opts;
    mkdirSync(paths.runDir(l.id), { recursive: true, mode: 0o700 }); // made by prepare() already, as a rule
    const args = [
      '--api-version', '1', '-c', l.id, '-u', attachId(l.id), '-n', l.name, '-r', runtime.binary, '-b', l.bundle,
      '-p', l.pidFile, '-l', `k8s-file:${l.logPath}`, '--exit-dir', paths.exitDir, '--socket-dir-path', paths.socketDir,
      '--runtime-arg', `--root=${runtime.root}`, '--runtime-arg', '--log-format=json', '--runtime-arg', `--log=${l.runtimeLog}`,
      '--sync',
    ];
    if (l.tty) args.push('-t');
    // With -i, conmon closes the process's stdin when an attach connection ends, unless told to
    // leave it open. Docker closes it only for StdinOnce containers without a TTY, when the
    // attached client's input ends; a TTY's stdin stays open (detach and attach again).
    if (l.openStdin) args.push('-i', ...(l.stdinOnce && !l.tty ? [] : ['--leave-stdin-open']));
    const helper = this.opts.helper;
    const monitorPid = helper?.available ? await helper.spawnDetached(this.opts.binary, args, { cwd: l.bundle }) : await spawnDetached(this.opts.binary, args, { cwd: l.bundle });
    // Written on a thread-pool thread while conmon and the runtime start up (a new file can cost a
    // millisecond of kernel time); settled before the launch answers, either way.
    const recorded = writeFile(paths.monitorPidFile(l.id), `${monitorPid}\n`).then(() => undefined, (err: unknown) => err);
    let handle: MonitorHandle;
    try {
      handle = await this.waitForCreate(l, monitorPid);
    } catch (err) {
      await recorded;
      throw err;
    }
    const failed = await recorded;
    if (failed) throw failed;
    return handle;
  }

  /** The pid file appears (inotify wakes us at once), or conmon dies (checked every few ms). */
  private async waitForCreate(l: MonitorLaunch, monitorPid: number): Promise<MonitorHandle> {
    const deadline = Date.now() + (this.opts.createTimeoutMs ?? 30_000);
    const changes = new AbortController();
    let wake = () => {};
    // Only the pid file's events wake the check (the runtime writes its log in the same dir).
    const pidName = path.basename(l.pidFile);
    const watcher = watch(path.dirname(l.pidFile), { signal: changes.signal }, (_event, name) => (name === null || name === pidName) && wake());
    watcher.on('error', () => undefined); // the periodic check below still runs
    try {
      for (;;) {
        const pid = await readPid(l.pidFile);
        if (pid) return { pid, monitorPid };
        const s = await procState(monitorPid);
        if (s === undefined || s === 'Z' || s === 'X') throw await createFailure(l.runtimeLog, this.opts.runtime.name);
        if (Date.now() > deadline) {
          process.kill(monitorPid, 'SIGKILL');
          throw new BerthError('deadline_exceeded', `${this.opts.runtime.name} create did not finish in time`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 10);
          wake = () => (clearTimeout(timer), resolve());
        });
      }
    } finally {
      changes.abort();
    }
  }

  exec(l: ExecLaunch): Promise<ExecHandle> {
    return launchExec(this.opts, l);
  }

  attach(id: string, early = false): StdioSession {
    return this.opts.hub.open(this.opts.paths.attachSocket(attachId(id)), early);
  }

  resize(id: string, height: number, width: number): Promise<void> {
    return writeCtl(this.opts.paths.ctlFifo(this.opts.paths.bundle(id)), CtlMessage.Resize, height, width);
  }

  reopenLog(id: string): Promise<void> {
    return writeCtl(this.opts.paths.ctlFifo(this.opts.paths.bundle(id)), CtlMessage.ReopenLog);
  }

  async isAlive(monitorPid: number, id: string): Promise<boolean> {
    if (monitorPid <= 0) return false;
    const s = await procState(monitorPid);
    if (s === undefined || s === 'Z' || s === 'X') return false;
    const argv = (readSmall(`/proc/${monitorPid}/cmdline`) ?? '').split('\0');
    return (argv[0] ?? '').endsWith('conmon') && argv.includes(id); // not a reused pid
  }

  async exitStatus(id: string): Promise<{ code: number; atNs: bigint } | undefined> {
    const file = this.opts.paths.exitFile(id);
    const text = readSmall(file);
    const st = text === undefined ? undefined : statSync(file, { bigint: true, throwIfNoEntry: false });
    if (text === undefined || !st || text.trim() === '') return undefined;
    const code = Number.parseInt(text.trim(), 10);
    return { code: Number.isNaN(code) ? 255 : code, atNs: st.mtimeNs };
  }

  /** The run dir (pid files, the runtime's log): a new inode, made on a thread-pool thread. */
  async prepare(id: string): Promise<void> {
    await mkdir(this.opts.paths.runDir(id), { recursive: true, mode: 0o700 });
  }

  async reset(id: string): Promise<void> {
    const { paths } = this.opts;
    // conmon leaves its socket-dir link (to the bundle or exec dir) behind: ours to remove.
    let execs: string[] = [];
    try {
      execs = readdirSync(path.join(paths.runDir(id), 'execs'));
    } catch {
      // none ran
    }
    for (const f of [paths.exitFile(id), ...[attachId(id), ...execs.map(attachId)].map((uuid) => paths.socketLink(uuid))]) rmSync(f, { force: true });
    removeTree(paths.runDir(id));
  }
}

/**
 * conmon's "uuid" names the attach socket's dir, `<socket-dir>/<uuid>/attach`, which must fit
 * sun_path (108 bytes): half the id keeps room for a long run root and is still unique enough.
 */
export function attachId(id: string): string {
  return id.slice(0, 32);
}

async function readPid(file: string): Promise<number | undefined> {
  const text = readSmall(file) ?? '';
  const pid = Number.parseInt(text.trim(), 10);
  return pid > 0 ? pid : undefined;
}
