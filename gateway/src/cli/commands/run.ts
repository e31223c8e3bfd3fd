import type { CliContext, Command } from '../command.js';
import { CliError, DaemonError } from '../errors.js';
import { copyContainerOutput } from '../render/output-demux.js';
import { createBody, parseRunOptions, RUN_FLAGS, type RunOptions } from './run-options.js';
import type { WaitResponse } from './wait.js';

/** Docker's exit status when `run` itself fails (as opposed to the container). */
const RUN_FAILED = 125;

export const runCommand: Command<RunOptions> = {
  name: 'run',
  usage: 'berth run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Create and run a new container from an image',
  flags: RUN_FLAGS,
  interspersed: false,
  minArgs: 1,
  parse: parseRunOptions,
  async action(o, ctx) {
    let id: string;
    try {
      id = await createContainer(o, ctx);
      if (o.detach) {
        await ctx.client.call('POST', `/containers/${id}/start`);
        ctx.stdout.write(`${id}\n`);
        return 0;
      }
    } catch (err) {
      throw asRunFailure(err);
    }
    return runInForeground(id, o, ctx);
  },
};

/**
 * Pulls `ref` for `run`. The pull code (reference grammar, progress renderer, credentials) is
 * loaded only when an image has to be pulled: most runs find it there already.
 */
async function pull(ctx: CliContext, ref: string): Promise<void> {
  const { pullImage } = await import('../pull-image.js');
  await pullImage(ctx, ref, ctx.stderr);
}

/** Creates the container, pulling its image first when it is missing (or always, with --pull always). */
async function createContainer(o: RunOptions, ctx: CliContext): Promise<string> {
  const create = () =>
    ctx.client.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', {
      query: { name: o.name },
      body: createBody(o),
    });
  if (o.pull === 'always') await pull(ctx, o.image);
  let created: { Id: string; Warnings?: string[] | null };
  try {
    created = await create();
  } catch (err) {
    if (!(err instanceof DaemonError) || err.status !== 404 || o.pull !== 'missing') throw err;
    const { familiarTagged } = await import('../../reference/image-reference.js');
    ctx.stderr.write(`Unable to find image '${familiarTagged(o.image)}' locally\n`);
    await pull(ctx, o.image);
    created = await create();
  }
  for (const w of created.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
  return created.Id;
}

/**
 * Start, stream the output until the container stops, then report its exit status. Ctrl-C and
 * SIGTERM are passed on to the container, as docker's sig-proxy does.
 */
async function runInForeground(id: string, o: RunOptions, ctx: CliContext): Promise<number> {
  const { client } = ctx;
  const stopForwarding = ctx.onSignal((signal) => {
    void client.call('POST', `/containers/${id}/kill`, { query: { signal } }).catch(() => {
      // The container may already be gone; the wait below reports how it ended.
    });
  });
  try {
    // -i or -t: attached before the start (as docker does), so no output and no input is missed.
    const session = o.interactive || o.tty ? await client.hijack('POST', `/containers/${id}/attach`, { query: { stream: true, stdin: o.interactive, stdout: true, stderr: true } }) : undefined;
    try {
      await client.call('POST', `/containers/${id}/start`);
    } catch (err) {
      session?.socket.destroy();
      if (o.rm) await client.call('DELETE', `/containers/${id}`, { query: { force: true } }).catch(() => 0);
      throw asRunFailure(err);
    }
    let result: WaitResponse;
    if (session) {
      const { runSession } = await import('../interactive.js'); // -i/-t only
      const resize = (size: { rows: number; columns: number }) => client.call('POST', `/containers/${id}/resize`, { query: { h: size.rows, w: size.columns } });
      await runSession({ ...session, tty: o.tty, stdin: o.interactive, resize }, ctx);
      // The output ends when the process exits — or when the user typed the detach keys, and then
      // the container goes on: a container still running a moment later was detached from.
      const gone = AbortSignal.timeout(2000);
      const exited = await client
        .json<WaitResponse>('POST', `/containers/${id}/wait`, { query: { condition: 'not-running' }, signal: gone })
        .then((response) => ({ response }), (err: Error) => (gone.aborted ? undefined : Promise.reject(err)));
      if (!exited) return 0;
      result = exited.response;
    } else {
      // The wait goes out with the logs rather than after them: the daemon records the exit a few
      // ms after the output ends, and by then the answer is on its way (a round trip less too).
      const done = new AbortController();
      const logs = client.stream('GET', `/containers/${id}/logs`, { query: { follow: true, stdout: true, stderr: true } });
      const waited = client.json<WaitResponse>('POST', `/containers/${id}/wait`, { query: { condition: 'not-running' }, signal: done.signal });
      waited.catch(() => undefined); // awaited below, or abandoned when the logs fail
      try {
        await copyContainerOutput(await logs, o.tty, ctx.stdout, ctx.stderr);
      } catch (err) {
        done.abort();
        throw err;
      }
      result = await waited;
    }
    if (result.Error?.Message) ctx.stderr.write(`${result.Error.Message}\n`);
    if (o.rm) await client.call('DELETE', `/containers/${id}`, { query: { force: true } });
    return result.StatusCode;
  } finally {
    stopForwarding();
  }
}

function asRunFailure(err: unknown): unknown {
  if (err instanceof DaemonError) return new CliError(`Error response from daemon: ${err.message}`, RUN_FAILED);
  if (err instanceof CliError) return new CliError(err.message, RUN_FAILED);
  return err;
}
