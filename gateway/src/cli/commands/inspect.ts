import type { Command } from '../command.js';
import { flagString } from '../args.js';
import { DaemonError, UsageError } from '../errors.js';
import { pathName, type EngineClient } from '../engine-client.js';

interface InspectOptions {
  names: string[];
  type?: 'container' | 'image';
}

/**
 * A container first, then an image, as `docker inspect` looks names up without --type. When
 * nothing has the name, the first lookup's answer is the one reported ("No such container: x").
 */
async function inspectOne(client: EngineClient, name: string, type: InspectOptions['type']): Promise<unknown> {
  const kinds = type ? [type] : (['container', 'image'] as const);
  let first: DaemonError | undefined;
  for (const kind of kinds) {
    const path = kind === 'container' ? `/containers/${pathName(name)}/json` : `/images/${pathName(name)}/json`;
    try {
      return await client.json('GET', path);
    } catch (err) {
      if (!(err instanceof DaemonError) || err.status !== 404) throw err;
      first ??= err;
    }
  }
  throw first ?? new DaemonError(404, `No such object: ${name}`);
}

export const inspectCommand: Command<InspectOptions> = {
  name: 'inspect',
  usage: 'berth inspect [OPTIONS] NAME|ID [NAME|ID...]',
  summary: 'Return low-level information on berth objects',
  flags: [{ long: 'type', kind: 'string', valueName: 'string', description: 'Only inspect objects of the given type (container, image)' }],
  parse(args) {
    if (args.positionals.length === 0) throw new UsageError('"inspect" requires at least 1 argument.');
    const type = flagString(args, 'type');
    if (type !== undefined && type !== 'container' && type !== 'image') throw new UsageError(`"${type}" is not a valid value for --type`);
    return { names: args.positionals, ...(type !== undefined && { type }) };
  },
  async action(o, { client, stdout, stderr }) {
    const found: unknown[] = [];
    let failed = false;
    for (const name of o.names) {
      try {
        found.push(await inspectOne(client, name, o.type));
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        failed = true;
        stderr.write(`Error response from daemon: ${err.message}\n`);
      }
    }
    stdout.write(JSON.stringify(found, null, 4) + '\n');
    return failed ? 1 : 0;
  },
};
