import type { CliContext } from '../command.js';
import { DaemonError } from '../errors.js';

/**
 * Runs `fn` for each argument as docker's multi-argument verbs (rm, stop, rmi …) do: every
 * argument is tried, each failure is reported, and the exit status is 1 if any failed.
 */
export async function forEachArgument(args: string[], ctx: CliContext, fn: (arg: string) => Promise<void>): Promise<number> {
  let failed = false;
  for (const arg of args) {
    try {
      await fn(arg);
    } catch (err) {
      if (!(err instanceof DaemonError)) throw err;
      failed = true;
      ctx.stderr.write(`Error response from daemon: ${err.message}\n`);
    }
  }
  return failed ? 1 : 0;
}
