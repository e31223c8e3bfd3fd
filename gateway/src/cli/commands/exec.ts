import type { Command } from '../command.js';
import { flagBool, flagList, flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { copyContainerOutput } from '../render/output-demux.js';

interface ExecOptions {
  container: string;
  cmd: string[];
  detach: boolean;
  env: string[];
  user?: string;
  workdir?: string;
  privileged: boolean;
}

/**
 * `berth exec`: runs a command in a running container and prints its output; the exit status is
 * the command's. Without stdin or a TTY (this CLI does not hijack connections yet: use the docker
 * CLI for `exec -it`).
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
  ],
  parse(args) {
    const [container, ...cmd] = args.positionals;
    if (!container || cmd.length === 0) throw new UsageError('"exec" requires at least 2 arguments.');
    const user = flagString(args, 'user');
    const workdir = flagString(args, 'workdir');
    return {
      container, cmd, detach: flagBool(args, 'detach'), env: flagList(args, 'env'), privileged: flagBool(args, 'privileged'),
      ...(user !== undefined && { user }), ...(workdir !== undefined && { workdir }),
    };
  },
  async action(o, { client, stdout, stderr }) {
    const created = await client.json<{ Id: string }>('POST', `/containers/${pathName(o.container)}/exec`, {
      body: {
        Cmd: o.cmd, Env: o.env, User: o.user ?? '', WorkingDir: o.workdir ?? '', Privileged: o.privileged,
        AttachStdin: false, AttachStdout: !o.detach, AttachStderr: !o.detach, Tty: false,
      },
    });
    if (o.detach) {
      await client.call('POST', `/exec/${created.Id}/start`, { body: { Detach: true, Tty: false } });
      return 0;
    }
    const res = await client.stream('POST', `/exec/${created.Id}/start`, { body: { Detach: false, Tty: false } });
    await copyContainerOutput(res, false, stdout, stderr);
    const inspect = await client.json<{ ExitCode: number | null }>('GET', `/exec/${created.Id}/json`);
    return inspect.ExitCode ?? 0;
  },
};
