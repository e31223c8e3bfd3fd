import type { AnyCommand, Command } from '../command.js';
import { parseArgs, type FlagSpec } from '../args.js';
import { UsageError } from '../errors.js';

interface GroupOptions {
  verb?: AnyCommand;
  args: string[];
}

/**
 * A command group (`berth image …`, `berth system …`) as `berth network` is built: the verb parses
 * its own flags, then runs.
 */
export function commandGroup(name: string, summary: string, verbs: readonly AnyCommand[], aliases: Record<string, string> = {}): Command<GroupOptions> {
  const help = () =>
    [`Usage:  berth ${name} COMMAND`, '', summary, '', 'Commands:', ...verbs.map((v) => `  ${v.name.padEnd(12)}${v.summary}`), '', `Run 'berth ${name} COMMAND --help' for more information on a command.`, ''].join('\n');
  const verbHelp = (v: AnyCommand) => {
    const flags = v.flags.map((f) => `  ${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.valueName ? ` ${f.valueName}` : ''}`.padEnd(30) + (f.description ?? ''));
    return [`Usage:  ${v.usage}`, '', v.summary, '', ...(flags.length ? ['Options:', ...flags, ''] : [])].join('\n') + '\n';
  };
  return {
    name,
    usage: `berth ${name} COMMAND`,
    summary,
    flags: [],
    interspersed: false,
    parse(args) {
      const [verbName, ...rest] = args.positionals;
      if (verbName === undefined) return { args: [] };
      const verb = verbs.find((v) => v.name === (aliases[verbName] ?? verbName));
      if (!verb) throw new UsageError(`'${verbName}' is not a berth ${name} command.`);
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
}
