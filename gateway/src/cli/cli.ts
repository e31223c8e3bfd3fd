import { parseArgs, type FlagSpec } from './args.js';
import type { AnyCommand, CliContext, Output } from './command.js';
import { COMMANDS, findCommand } from './commands/index.js';
import { CliError, DaemonError, StreamError, UsageError } from './errors.js';

export interface CliIo {
  /** BERTH_HOST is read from here (main.ts passes process.env). */
  env: Record<string, string | undefined>;
  stdout: Output;
  stderr: Output;
  onSignal: CliContext['onSignal'];
  /** The process's standard input (`load` reads an archive from it). */
  stdin?: NodeJS.ReadableStream;
  terminal?: CliContext['terminal'];
}

const GLOBAL_FLAGS: FlagSpec[] = [
  { long: 'host', short: 'H', kind: 'string', valueName: 'string', description: 'Daemon socket to connect to (unix:///path)' },
  { long: 'help', kind: 'bool', description: 'Print usage' },
  { long: 'version', short: 'v', kind: 'bool', description: 'Print version information and quit' },
];

function flagHelp(flags: FlagSpec[]): string {
  return flags
    .map((f) => {
      const names = `${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.valueName ? ` ${f.valueName}` : ''}`;
      return `  ${names.padEnd(28)}${f.description ?? ''}`;
    })
    .join('\n');
}

function mainHelp(): string {
  return [
    'Usage:  berth [OPTIONS] COMMAND',
    '',
    'A container engine that speaks the Docker Engine API',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`),
    '',
    'Global Options:',
    flagHelp(GLOBAL_FLAGS),
    '',
    "Run 'berth COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

function commandHelp(c: AnyCommand): string {
  return [`Usage:  ${c.usage}`, '', c.summary, '', ...(c.flags.length > 0 ? ['Options:', flagHelp(c.flags), ''] : [])].join('\n') + '\n';
}

/** The whole CLI: argv in, exit status out. Everything it prints goes through `io`. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const verbAt = argv.findIndex((a, i) => !a.startsWith('-') && !['-H', '--host'].includes(argv[i - 1] ?? ''));
  const globalArgs = verbAt < 0 ? argv : argv.slice(0, verbAt);
  let verb: string | undefined;
  try {
    const global = parseArgs(globalArgs, GLOBAL_FLAGS);
    if (global.flags.get('version') === true) {
      const { CLI_VERSION } = await import('./cli-version.js'); // read only for the version
      io.stdout.write(`berth version ${CLI_VERSION}\n`);
      return 0;
    }
    if (verbAt < 0 || global.flags.get('help') === true) {
      (verbAt < 0 && global.flags.get('help') !== true ? io.stderr : io.stdout).write(mainHelp());
      return verbAt < 0 && global.flags.get('help') !== true ? 1 : 0;
    }
    verb = argv[verbAt]!;
    const command = await findCommand(verb);
    if (!command) {
      io.stderr.write(`berth: '${verb}' is not a berth command.\nSee 'berth --help'\n`);
      return 1;
    }
    const ownsH = command.flags.some((f) => f.short === 'h');
    const helpFlags: FlagSpec[] = [{ long: 'help', kind: 'bool', ...(ownsH ? {} : { short: 'h' }) }];
    const args = parseArgs(argv.slice(verbAt + 1), [...command.flags, ...helpFlags], { interspersed: command.interspersed ?? true });
    if (args.flags.get('help') === true) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    const options = command.parse(args);
    // Loaded here, not at start-up: help, --version and usage errors need no HTTP client.
    const { DEFAULT_HOST, EngineClient } = await import('./engine-client.js');
    const host = (global.flags.get('host') as string | undefined) ?? io.env['BERTH_HOST'] ?? DEFAULT_HOST;
    const ctx: CliContext = { client: new EngineClient(host), env: io.env, stdout: io.stdout, stderr: io.stderr, onSignal: io.onSignal, ...(io.stdin && { stdin: io.stdin }), ...(io.terminal && { terminal: io.terminal }) };
    return await command.action(options, ctx);
  } catch (err) {
    return report(err, io.stderr, verb);
  }
}

function report(err: unknown, stderr: Output, verb: string | undefined): number {
  if (err instanceof UsageError) {
    stderr.write(`berth: ${err.message}\nSee 'berth ${verb ? `${verb} ` : ''}--help'.\n`);
    return 125;
  }
  if (err instanceof DaemonError) {
    stderr.write(`Error response from daemon: ${err.message}\n`);
    return 1;
  }
  if (err instanceof CliError) {
    stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof StreamError) {
    stderr.write(`${err.message}\n`);
    return 1;
  }
  stderr.write(`berth: ${(err as Error).message ?? String(err)}\n`);
  return 1;
}
