import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Output } from '../command.js';
import { CliError } from '../errors.js';

/** Refuses to write a tar to a terminal (docker's words), before anything is requested. */
export function refuseTerminal(output: string | undefined, stdout: Output): void {
  if (output === undefined && stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
}

/** Writes a tar the daemon streams (`save`, `export`) to a file, or to stdout; a cut stream fails. */
export async function writeArchive(res: IncomingMessage, output: string | undefined, stdout: Output): Promise<void> {
  if (output === undefined) {
    for await (const chunk of res) stdout.write(chunk as Buffer);
  } else {
    const file = createWriteStream(output);
    res.pipe(file);
    await Promise.race([once(file, 'finish'), once(res, 'error').then(([err]) => Promise.reject(err as Error))]);
  }
  if (!res.complete) throw new CliError('the daemon cut the archive short', 1);
}
