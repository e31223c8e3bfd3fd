import { createReadStream } from 'node:fs';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { jsonLines } from '../render/json-lines.js';
import { CliError } from '../errors.js';

interface LoadOptions {
  input: string;
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
  parse: (args) => ({ input: flagString(args, 'input') ?? '/dev/stdin', quiet: flagBool(args, 'quiet') }),
  async action(o, { client, stdout }) {
    const res = await client.stream('POST', '/images/load', {
      query: { quiet: o.quiet },
      upload: { stream: createReadStream(o.input), contentType: 'application/x-tar' },
    });
    for await (const m of jsonLines<{ stream?: string; error?: string }>(res)) {
      if (m.error) throw new CliError(m.error, 1);
      if (m.stream && !o.quiet) stdout.write(m.stream);
    }
    return 0;
  },
};
