import type { AnyCommand, Command } from '../command.js';
import { parseArgs, type FlagSpec } from '../args.js';
import { UsageError } from '../errors.js';
import { NETWORK_VERBS } from './network-verbs.js';

interface NetworkOptions {
  verb?: AnyCommand;
  args: string[];
}

/** Docker's aliases for the subcommands. */
const ALIASES: Record<string, string> = { list: 'ls', remove: 'rm' };

function help(): string {
  return [
    'Usage:  berth network COMMAND',
    '',
    'Manage networks',
    '',
    'Commands:',
    ...NETWORK_VERBS.map((v) => `  ${v.name.padEnd(12)}${v.summary}`),
    '',
    "Run 'berth network COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

function verbHelp(v: AnyCommand): string {
  const flags = v.flags.map((f) => `  ${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.valueName ? ` ${f.valueName}` : ''}`.padEnd(30) + (f.description ?? ''));
  return [`Usage:  ${v.usage}`, '', v.summary, '', ...(flags.length ? ['Options:', ...flags, ''] : [])].join('\n') + '\n';
}

/** `berth network <verb> …`: the verb parses its own flags (each has its own), then runs. */
export const networkCommand: Command<NetworkOptions> = {
  name: 'network',
  usage: 'berth network COMMAND',
  summary: 'Manage networks',
  flags: [],
  interspersed: false,
  parse(args) {
    const [name, ...rest] = args.positionals;
    if (name === undefined) return { args: [] };
    const verb = NETWORK_VERBS.find((v) => v.name === (ALIASES[name] ?? name));
    if (!verb) throw new UsageError(`'${name}' is not a berth network command.`);
    return { verb, args: rest };
  },
  async action(o, ctx) {
    if (!o.verb) {
      ctx.stdout.write(help());
      return 0;
    }
    const helpFlag: FlagSpec = { long: 'help', kind: 'bool', ...(o.verb.flags.some((f) => f.short === 'h') ? {} : { short: 'h' }) };
    const parsed = parseArgs(o.args, [...o.verb.flags, helpFlag]);
    if (parsed.flags.get('help') === true) {
      ctx.stdout.write(verbHelp(o.verb));
      return 0;
    }
    return o.verb.action(o.verb.parse(parsed), ctx);
  },
};
