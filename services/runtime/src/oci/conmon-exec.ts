import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { DEFAULT_PATH } from '@berth/kit';
import type { ExecHandle, ExecLaunch, StdioSession } from '../domain/ports.js';
import type { ConmonOptions } from './conmon.js';
import { attachId } from './conmon.js';
import { execFailure } from './create-failure.js';
import { CtlMessage, writeCtl } from './ctl-fifo.js';
import { JsonLines } from './json-lines.js';

/**
 * Runs `runtime exec` under conmon, as podman does (`conmon --exec --exec-attach`, api-version 1):
 * conmon handles the console socket for a TTY (receiving a pty fd needs recvmsg, which Node has
 * not), the exec's stdio (through its own attach socket), and the exit code.
 *
 * The pipes podman uses: `_OCI_SYNCPIPE` (fd 3) carries `{"data": pid}` once the process runs (or
 * a negative value and the runtime's message), then `{"data": exit code}`; with an attach,
 * `_OCI_ATTACHPIPE` (fd 4) says when the attach socket listens, and conmon's child waits for a
 * second write on `_OCI_STARTPIPE` (fd 5) before it runs the runtime: we connect first, so no
 * output is lost. conmon sits in its own session; if this service dies, the exec runs to its end.
 */
export async function launchExec(o: ConmonOptions, l: ExecLaunch): Promise<ExecHandle> {
  const dir = o.paths.execDir(l.containerId, l.execId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, 'process.json'), JSON.stringify(l.process), { mode: 0o600 });
  const uuid = attachId(l.execId);
  const runtime = await o.runtime.forContainer(l.containerId);
  const args = [
    '--api-version', '1', '-c', l.containerId, '-u', uuid, '-r', runtime.binary, '-b', dir,
    '-p', path.join(dir, 'pid'), '-l', 'none', '-0', dir, '--socket-dir-path', o.paths.socketDir,
    '--runtime-arg', `--root=${runtime.root}`, '--runtime-arg', '--log-format=json',
    '--runtime-arg', `--log=${path.join(dir, 'runtime.log')}`,
    '--exec', '--exec-process-spec', path.join(dir, 'process.json'), '--sync',
  ];
  if (l.attach) args.push('--exec-attach');
  if (l.tty) args.push('-t');
  if (l.stdin && l.attach) args.push('-i');
  const env: Record<string, string> = { PATH: DEFAULT_PATH, _OCI_SYNCPIPE: '3' };
  if (l.attach) Object.assign(env, { _OCI_ATTACHPIPE: '4', _OCI_STARTPIPE: '5' });
  const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'ignore', 'ignore', 'pipe', ...(l.attach ? (['pipe', 'pipe'] as const) : [])];
  const warm = o.cgroupAttach?.hold(); // the runtime moves the process into the container's cgroups
  const child = spawn(o.binary, args, { cwd: dir, env, detached: true, stdio });
  child.unref();
  const spawned = new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  const sync = new JsonLines((child.stdio as unknown as Readable[])[3]!);
  let io: StdioSession | undefined;
  try {
    await spawned;
    if (l.attach) {
      const start = (child.stdio as unknown as Writable[])[5]!;
      start.on('error', () => undefined); // conmon gone: the sync pipe tells
      start.write('0'); // conmon's first read, before it sets anything up
      const ready = await new JsonLines((child.stdio as unknown as Readable[])[4]!).next();
      if (!ready) throw await execFailure(await sync.next(), path.join(dir, 'runtime.log'));
      io = o.hub.open(o.paths.attachSocket(uuid));
      await io.connected;
      start.end('1'); // now the runtime may start the process
    }
    const started = await sync.next();
    warm?.();
    if (!started || started.data <= 0) throw await execFailure(started, path.join(dir, 'runtime.log'));
    // Once it has exited nothing needs its files: a long-running container with many execs
    // (healthchecks every few seconds) must not pile them up.
    const exit = sync.next().then(async (m) => {
      const code = m?.data ?? (await exitFile(dir));
      await Promise.all([rm(dir, { recursive: true, force: true }), rm(o.paths.socketLink(uuid), { force: true })]);
      return code;
    });
    return { pid: started.data, ...(io ? { io } : {}), exit, resize: (h, w) => writeCtl(o.paths.ctlFifo(dir), CtlMessage.Resize, h, w) };
  } catch (err) {
    warm?.();
    io?.close();
    if (child.exitCode === null && child.pid) killGroup(child.pid); // its session: conmon and the runtime
    await Promise.all([rm(dir, { recursive: true, force: true }), rm(o.paths.socketLink(uuid), { force: true })]);
    throw err;
  }
}

/** conmon's exit file (`-0` persist dir), for when the sync pipe broke; 255 when there is none. */
async function exitFile(dir: string): Promise<number> {
  const text = await readFile(path.join(dir, 'exit'), 'utf8').catch(() => '');
  const code = Number.parseInt(text.trim(), 10);
  return Number.isNaN(code) ? 255 : code;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
