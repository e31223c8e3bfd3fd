import { createReadStream } from 'node:fs';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { jsonLines } from '../render/json-lines.js';
import { CliError } from '../errors.js';

interface LoadOptions {
  input?: string;
  quiet: boolean;
}

export const loadCommand: Command<LoadOptions> = {
  name: 'load',
  usage: 'berth load [OPTIONS]',
  summary: 'Load an image from a tar archive or STDIN',
  flags: [
    { long: 'input', short: 'i', kind: 'string', valueName: 'string', description: 'Read from tar archive file, instead of STDIN' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the load output' },
  ],
  parse: (args) => {
    const input = flagString(args, 'input');
    return { quiet: flagBool(args, 'quiet'), ...(input !== undefined && { input }) };
  },
  async action(o, { client, stdout, stdin }) {
    if (o.input === undefined && (!stdin || (stdin as { isTTY?: boolean }).isTTY)) throw new CliError('requested load from stdin, but stdin is empty', 1);
    const res = await client.stream('POST', '/images/load', {
      query: { quiet: o.quiet },
      upload: { stream: o.input === undefined ? stdin! : createReadStream(o.input), contentType: 'application/x-tar' },
    });
    for await (const m of jsonLines<{ stream?: string; error?: string }>(res)) {
      if (m.error) throw new CliError(m.error, 1);
      if (m.stream && !o.quiet) stdout.write(m.stream);
    }
    return 0;
  },
};
