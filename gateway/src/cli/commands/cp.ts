import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { flagBool } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { pathName, type EngineClient } from '../engine-client.js';
import { CliError, DaemonError, UsageError } from '../errors.js';

/** A side of a copy: a container path, a host path, or "-" (a tar on stdin/stdout). */
interface Endpoint {
  container?: string;
  path: string;
}

interface CpOptions {
  src: Endpoint;
  dest: Endpoint;
  archive: boolean;
  followLink: boolean;
}

interface PathStat {
  name: string;
  mode: number;
  linkTarget: string;
}

export const cpCommand: Command<CpOptions> = {
  name: 'cp',
  usage: 'berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  summary: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { long: 'archive', short: 'a', kind: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { long: 'follow-link', short: 'L', kind: 'bool', description: 'Always follow symbol link in SRC_PATH' },
  ],
  parse(args) {
    if (args.positionals.length !== 2) throw new UsageError('"cp" requires exactly 2 arguments.');
    const [src, dest] = args.positionals.map(endpoint) as [Endpoint, Endpoint];
    if (src.container !== undefined && dest.container !== undefined) throw new UsageError('copying between containers is not supported');
    if (src.container === undefined && dest.container === undefined) throw new UsageError('must specify at least one container source');
    return { src, dest, archive: flagBool(args, 'archive'), followLink: flagBool(args, 'follow-link') };
  },
  action: (o, ctx) => (o.src.container !== undefined ? fromContainer(o, ctx) : toContainer(o, ctx)),
};

/** docker's splitCpArg: a local path if it is absolute or starts with ".", else NAME:PATH when there is a colon. */
function endpoint(arg: string): Endpoint {
  if (arg === '-' || arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  return i > 0 ? { container: arg.slice(0, i), path: arg.slice(i + 1) } : { path: arg };
}

const isDir = (mode: number) => Math.floor(mode / 2 ** 31) % 2 === 1; // Go's os.ModeDir

function decodeStat(res: IncomingMessage): PathStat {
  const raw = res.headers['x-docker-container-path-stat'];
  if (typeof raw !== 'string') throw new CliError('the daemon sent no path stat', 1);
  return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as PathStat;
}

async function fromContainer(o: CpOptions, { client, stdout }: CliContext): Promise<number> {
  let srcPath = o.src.path;
  let linkName: string | undefined;
  if (o.followLink) {
    // -L: a symlink is replaced by what it points at (resolved in the container), under the link's name.
    const st = await statInContainer(client, o.src.container!, srcPath);
    if (st?.linkTarget) [srcPath, linkName] = [st.linkTarget, st.name];
  }
  const res = await client.stream('GET', `/containers/${pathName(o.src.container!)}/archive`, { query: { path: srcPath } });
  if (o.dest.path === '-') {
    for await (const chunk of res) stdout.write(chunk as Buffer);
    return 0;
  }
  const src = decodeStat(res);
  const dest = o.dest.path;
  const existing = await stat(dest).catch(() => undefined);
  if (linkName !== undefined && existing?.isDirectory()) return extractAs(res, src, path.join(dest, linkName));
  if (src.name === '.' || existing?.isDirectory()) {
    // Into a directory: the tar's top entry keeps its name ("." copies the contents).
    await mkdir(dest, { recursive: true });
    await untar(res, dest);
    return 0;
  }
  if (existing && isDir(src.mode)) throw new CliError(`cannot copy a directory to a file: ${dest}`, 1);
  if (!existing && dest.endsWith('/')) throw new CliError(`destination directory ${dest} does not exist`, 1);
  return extractAs(res, src, dest);
}

/** To a new name (or over a file): extracted beside it, then renamed into place. */
async function extractAs(res: IncomingMessage, src: PathStat, dest: string): Promise<number> {
  const tmp = await mkdtemp(path.join(path.dirname(path.resolve(dest)), '.berth-cp-'));
  try {
    await untar(res, tmp);
    await rename(path.join(tmp, src.name), dest);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return 0;
}

async function toContainer(o: CpOptions, { client, stdin }: CliContext): Promise<number> {
  const container = o.dest.container!;
  const put = (dir: string, body: NodeJS.ReadableStream) =>
    client.call('PUT', `/containers/${pathName(container)}/archive`, {
      query: { path: dir, noOverwriteDirNonDir: true, copyUIDGID: o.archive },
      upload: { stream: body, contentType: 'application/x-tar' },
    });
  if (o.src.path === '-') {
    if (!stdin) throw new CliError('no tar archive on stdin', 1);
    await put(o.dest.path, stdin);
    return 0;
  }
  const src = path.resolve(o.src.path);
  const srcStat = await (o.followLink ? stat(src) : lstat(src)).catch(() => {
    throw new CliError(`lstat ${o.src.path}: no such file or directory`, 1);
  });
  const contents = o.src.path.endsWith('/.') || o.src.path === '.';
  const destStat = await statInContainer(client, container, o.dest.path);
  let dir: string;
  let name: string;
  if (destStat && isDir(destStat.mode)) {
    [dir, name] = [o.dest.path, path.basename(src)];
  } else if (destStat) {
    if (srcStat.isDirectory()) throw new CliError(`cannot copy directory to file: ${o.dest.path}`, 1);
    [dir, name] = [path.posix.dirname(o.dest.path), path.posix.basename(o.dest.path)];
  } else {
    if (o.dest.path.endsWith('/')) throw new CliError(`no such directory: ${o.dest.path}`, 1);
    [dir, name] = [path.posix.dirname(o.dest.path), path.posix.basename(o.dest.path)];
  }
  const tar = contents
    ? spawnTar(['-c', '--numeric-owner', '-C', src, '.'])
    : spawnTar(['-c', '--numeric-owner', ...(o.followLink ? ['-h'] : []), '-C', path.dirname(src),
        ...(name !== path.basename(src) ? [`--transform=s|^${regexEscape(path.basename(src))}|${replEscape(name)}|S`] : []),
        '--', path.basename(src)]);
  await Promise.all([put(contents ? o.dest.path : dir, tar.stdout), tar.done]);
  return 0;
}

async function statInContainer(client: EngineClient, container: string, p: string): Promise<PathStat | undefined> {
  try {
    const res = await client.stream('HEAD', `/containers/${pathName(container)}/archive`, { query: { path: p } });
    res.resume();
    return decodeStat(res);
  } catch (err) {
    if (err instanceof DaemonError && err.status === 404) return undefined;
    throw err;
  }
}

/** GNU tar (argv, no shell); resolves when it exits 0. */
function spawnTar(args: string[]): { stdout: NodeJS.ReadableStream; done: Promise<void> } {
  const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = once(child, 'close').then(([code]) => {
    if (code !== 0) throw new CliError(`tar: ${stderr.trim() || `exit ${String(code)}`}`, 1);
  });
  return { stdout: child.stdout, done };
}

/** Extracts the daemon's tar under `dir` (GNU tar refuses ".." members and defers risky symlinks). */
async function untar(res: IncomingMessage, dir: string): Promise<void> {
  const child = spawn('tar', ['-x', '--no-same-owner', '-p', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  res.pipe(child.stdin);
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new CliError(`tar: ${stderr.trim() || `exit ${String(code)}`}`, 1);
  if (!res.complete) throw new CliError('the daemon cut the archive short', 1);
}

const regexEscape = (s: string) => s.replace(/[.^$*[\]\\|]/g, '\\$&');
const replEscape = (s: string) => s.replace(/[\\&|]/g, '\\$&');
