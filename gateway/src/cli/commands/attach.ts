import type { Command } from '../command.js';
import { flagBool, flagString } from '../args.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { runSession } from '../interactive.js';

interface AttachOptions {
  container: string;
  noStdin: boolean;
  detachKeys?: string;
}

/**
 * `berth attach`: the terminal joins a running container's stdio (several attachers may share
 * it). Ends when the container exits (its exit status) or on the detach keys (0, it goes on).
 */
export const attachCommand: Command<AttachOptions> = {
  name: 'attach',
  usage: 'berth attach [OPTIONS] CONTAINER',
  summary: 'Attach local standard input, output, and error streams to a running container',
  flags: [
    { long: 'no-stdin', kind: 'bool', description: 'Do not attach STDIN' },
    { long: 'detach-keys', kind: 'string', valueName: 'string', description: 'Override the key sequence for detaching a container' },
    { long: 'sig-proxy', kind: 'bool', description: 'Proxy all received signals to the process (accepted; signals are not proxied)' },
  ],
  parse(args) {
    const [container] = args.positionals;
    if (!container || args.positionals.length !== 1) throw new UsageError('"attach" requires exactly 1 argument.');
    const detachKeys = flagString(args, 'detach-keys');
    return { container, noStdin: flagBool(args, 'no-stdin'), ...(detachKeys !== undefined && { detachKeys }) };
  },
  async action(o, ctx) {
    const { client } = ctx;
    const name = pathName(o.container);
    const info = await client.json<{ Id: string; State: { Running: boolean; Paused: boolean }; Config: { Tty: boolean; OpenStdin: boolean } }>('GET', `/containers/${name}/json`);
    if (!info.State.Running) throw new UsageError('You cannot attach to a stopped container, start it first');
    if (info.State.Paused) throw new UsageError('You cannot attach to a paused container, unpause it first');
    const stdin = !o.noStdin && info.Config.OpenStdin;
    const session = await client.hijack('POST', `/containers/${info.Id}/attach`, {
      query: { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys },
    });
    const resize = (size: { rows: number; columns: number }) => client.call('POST', `/containers/${info.Id}/resize`, { query: { h: size.rows, w: size.columns } });
    await runSession({ ...session, tty: info.Config.Tty, stdin, resize }, ctx);
    const gone = AbortSignal.timeout(2000); // still running then: the user detached
    const exited = await client
      .json<{ StatusCode: number }>('POST', `/containers/${info.Id}/wait`, { query: { condition: 'not-running' }, signal: gone })
      .then((r) => r, (err: Error) => (gone.aborted ? undefined : Promise.reject(err)));
    return exited?.StatusCode ?? 0; // still running: detached
  },
};
