import { UsageError } from './errors.js';

/**
 * Hand-written flag parsing with Docker's (pflag's) rules: `--name value`, `--name=value`, `-d`,
 * clustered shorthands (`-dit`), `-e K=V` and `-eK=V`, repeated list flags, `--` to end flags.
 * Commands such as `run` stop at the first positional (the image): what follows is the command.
 */
export type FlagKind = 'bool' | 'string' | 'list';

export interface FlagSpec {
  long: string;
  short?: string;
  kind: FlagKind;
  /** For `--help` output. */
  description?: string;
  /** For `--help` output: what the value is ("string", "list", "int"). */
  valueName?: string;
}

export type FlagValue = boolean | string | string[];

export interface ParsedArgs {
  flags: Map<string, FlagValue>;
  positionals: string[];
}

export interface ParseOptions {
  /** false: the first positional ends flag parsing (docker run IMAGE CMD... ). */
  interspersed?: boolean;
}

const FALSE_WORDS = new Set(['false', '0', 'f', 'F', 'FALSE', 'False']);
const TRUE_WORDS = new Set(['true', '1', 't', 'T', 'TRUE', 'True']);

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], options: ParseOptions = {}): ParsedArgs {
  const interspersed = options.interspersed ?? true;
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags = new Map<string, FlagValue>();
  const positionals: string[] = [];

  const set = (spec: FlagSpec, value: string | undefined, shown: string): void => {
    if (spec.kind === 'bool') {
      if (value === undefined || TRUE_WORDS.has(value)) flags.set(spec.long, true);
      else if (FALSE_WORDS.has(value)) flags.set(spec.long, false);
      else throw new UsageError(`invalid argument "${value}" for "${shown}" flag: invalid syntax`);
      return;
    }
    if (value === undefined) throw new UsageError(`flag needs an argument: ${shown}`);
    if (spec.kind === 'string') flags.set(spec.long, value);
    else flags.set(spec.long, [...((flags.get(spec.long) as string[] | undefined) ?? []), value]);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq >= 0 ? eq : undefined);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      let value = eq >= 0 ? arg.slice(eq + 1) : undefined;
      if (value === undefined && spec.kind !== 'bool') {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
        value = argv[++i];
      }
      set(spec, value, `--${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of shorthands: bools until one that takes a value, which takes the rest or the next arg.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = byShort.get(letter);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`);
        if (spec.kind === 'bool') {
          const rest = arg.slice(j + 1);
          if (rest.startsWith('=')) {
            set(spec, rest.slice(1), `-${letter}`);
            break;
          }
          set(spec, undefined, `-${letter}`);
          continue;
        }
        let value = arg.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        if (value === '') {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${letter}' in -${letter}`);
          value = argv[++i]!;
        }
        set(spec, value, `-${letter}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
    if (!interspersed) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags, positionals };
}

export function flagBool(args: ParsedArgs, long: string): boolean {
  return args.flags.get(long) === true;
}

export function flagString(args: ParsedArgs, long: string): string | undefined {
  const v = args.flags.get(long);
  return typeof v === 'string' ? v : undefined;
}

export function flagList(args: ParsedArgs, long: string): string[] {
  const v = args.flags.get(long);
  return Array.isArray(v) ? v : [];
}

export function flagInt(args: ParsedArgs, long: string): number | undefined {
  const v = flagString(args, long);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`invalid argument "${v}" for "--${long}" flag: invalid syntax`);
  return n;
}
