import type { Command } from '../command.js';
import { flagBool, flagList, flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { copyContainerOutput } from '../render/output-demux.js';
import { runSession } from '../interactive.js';

interface ExecOptions {
  container: string;
  cmd: string[];
  detach: boolean;
  env: string[];
  user?: string;
  workdir?: string;
  privileged: boolean;
  interactive: boolean;
  tty: boolean;
  detachKeys?: string;
}

/**
 * `berth exec`: runs a command in a running container; the exit status is the command's. With -i
 * or -t the connection is hijacked: stdin goes in, the TTY is raw and follows the window's size.
 */
export const execCommand: Command<ExecOptions> = {
  name: 'exec',
  usage: 'berth exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  summary: 'Execute a command in a running container',
  interspersed: false,
  flags: [
    { long: 'detach', short: 'd', kind: 'bool', description: 'Detached mode: run command in the background' },
    { long: 'env', short: 'e', kind: 'list', valueName: 'list', description: 'Set environment variables' },
    { long: 'user', short: 'u', kind: 'string', valueName: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { long: 'workdir', short: 'w', kind: 'string', valueName: 'string', description: 'Working directory inside the container' },
    { long: 'privileged', kind: 'bool', description: 'Give extended privileges to the command' },
    { long: 'interactive', short: 'i', kind: 'bool', description: 'Keep STDIN open even if not attached' },
    { long: 'tty', short: 't', kind: 'bool', description: 'Allocate a pseudo-TTY' },
    { long: 'detach-keys', kind: 'string', valueName: 'string', description: 'Override the key sequence for detaching a container' },
  ],
  parse(args) {
    const [container, ...cmd] = args.positionals;
    if (!container || cmd.length === 0) throw new UsageError('"exec" requires at least 2 arguments.');
    const user = flagString(args, 'user');
    const workdir = flagString(args, 'workdir');
    const detachKeys = flagString(args, 'detach-keys');
    return {
      container, cmd, detach: flagBool(args, 'detach'), env: flagList(args, 'env'), privileged: flagBool(args, 'privileged'),
      interactive: flagBool(args, 'interactive'), tty: flagBool(args, 'tty'), ...(detachKeys !== undefined && { detachKeys }),
      ...(user !== undefined && { user }), ...(workdir !== undefined && { workdir }),
    };
  },
  async action(o, ctx) {
    const { client, stdout, stderr } = ctx;
    const attachStdin = o.interactive && !o.detach;
    const created = await client.json<{ Id: string }>('POST', `/containers/${pathName(o.container)}/exec`, {
      body: {
        Cmd: o.cmd, Env: o.env, User: o.user ?? '', WorkingDir: o.workdir ?? '', Privileged: o.privileged,
        AttachStdin: attachStdin, AttachStdout: !o.detach, AttachStderr: !o.detach, Tty: o.tty,
        ...(o.detachKeys !== undefined && { DetachKeys: o.detachKeys }),
      },
    });
    if (o.detach) {
      await client.call('POST', `/exec/${created.Id}/start`, { body: { Detach: true, Tty: o.tty } });
      return 0;
    }
    if (o.interactive || o.tty) {
      const size = o.tty ? ctx.terminal?.size() : undefined; // the TTY starts with the window's size
      const session = await client.hijack('POST', `/exec/${created.Id}/start`, { body: { Detach: false, Tty: o.tty, ...(size && { ConsoleSize: [size.rows, size.columns] }) } });
      const resize = (size: { rows: number; columns: number }) => client.call('POST', `/exec/${created.Id}/resize`, { query: { h: size.rows, w: size.columns } });
      await runSession({ ...session, tty: o.tty, stdin: attachStdin, resize }, ctx);
    } else {
      const res = await client.stream('POST', `/exec/${created.Id}/start`, { body: { Detach: false, Tty: false } });
      await copyContainerOutput(res, false, stdout, stderr);
    }
    const inspect = await client.json<{ ExitCode: number | null; Running?: boolean }>('GET', `/exec/${created.Id}/json`);
    return inspect.ExitCode ?? 0;
  },
};
