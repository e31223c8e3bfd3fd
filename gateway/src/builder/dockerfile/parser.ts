import { DockerfileParseError } from './errors.js';
import type {
  ArgInstruction,
  CommandForm,
  Dockerfile,
  FromInstruction,
  HealthcheckInstruction,
  Instruction,
  Stage,
} from './instructions.js';
import { splitLines } from './lines.js';
import { jsonArray, parseDuration, rawWords } from './words.js';

/** Flags each instruction accepts; anything else is "Unknown flag". */
const FLAGS: Record<string, readonly string[]> = {
  from: ['platform'],
  copy: ['from', 'chown', 'chmod', 'link'],
  add: ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir'],
  run: ['mount', 'network', 'security'],
  healthcheck: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

interface Context {
  line: number;
  original: string;
  escape: string;
}

/**
 * Parses a Dockerfile into stages. Errors are `invalid_argument` with Docker's wording:
 * "Dockerfile parse error line N: …". Variable substitution happens later, in the executor.
 */
export function parseDockerfile(source: string): Dockerfile {
  const split = splitLines(source);
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const logical of split.lines) {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(logical.text)!;
    const keyword = m[1]!.toLowerCase();
    const ctx: Context = { line: logical.line, original: logical.text, escape: split.escape };
    const fail = (detail: string): never => {
      throw new DockerfileParseError(logical.line, detail);
    };
    const { flags, rest } = extractFlags(m[2]!, keyword, fail);
    if (keyword === 'from') {
      stages.push({ index: stages.length, from: parseFrom(rest, flags, ctx, fail), instructions: [] });
      continue;
    }
    const instruction = parseInstruction(keyword, rest, flags, ctx, fail);
    const stage = stages[stages.length - 1];
    if (stage) stage.instructions.push(instruction);
    else if (instruction.kind === 'arg') metaArgs.push(instruction);
    else fail('no build stage in current context: the first instruction must be FROM (or ARG)');
  }
  if (stages.length === 0) {
    throw new DockerfileParseError(split.lines[0]?.line ?? 1, split.lines.length === 0 ? 'file with no instructions' : 'no FROM instruction');
  }
  return { metaArgs, stages, escape: split.escape };
}

function extractFlags(args: string, keyword: string, fail: (d: string) => never): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args;
  const re = /^--([A-Za-z][A-Za-z0-9-]*)(?:=("[^"]*"|'[^']*'|\S*))?(?:\s+|$)/;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    const name = m[1]!;
    if (!(FLAGS[keyword] ?? []).includes(name)) fail(`Unknown flag: ${name}`);
    if (flags.has(name)) fail(`Duplicate flag specified: ${name}`);
    flags.set(name, (m[2] ?? 'true').replace(/^(["'])(.*)\1$/, '$2'));
    rest = rest.slice(m[0].length);
  }
  return { flags, rest: rest.trim() };
}

function parseFrom(rest: string, flags: Map<string, string>, ctx: Context, fail: (d: string) => never): FromInstruction {
  const words = rawWords(rest, ctx.escape);
  if (words.length !== 1 && words.length !== 3) fail('FROM requires either one or three arguments');
  if (words.length === 3 && words[1]!.toLowerCase() !== 'as') fail(`FROM requires either one or three arguments (expected AS, found "${words[1]}")`);
  const stageName = words[2]?.toLowerCase();
  if (stageName !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(stageName)) fail(`invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
  const platform = flags.get('platform');
  return {
    kind: 'from',
    line: ctx.line,
    original: ctx.original,
    image: words[0]!,
    ...(stageName !== undefined && { stageName }),
    ...(platform !== undefined && { platform }),
  };
}

function parseInstruction(keyword: string, rest: string, flags: Map<string, string>, ctx: Context, fail: (d: string) => never): Instruction {
  const base = { line: ctx.line, original: ctx.original };
  const upper = keyword.toUpperCase();
  switch (keyword) {
    case 'run': {
      for (const f of flags.keys()) fail(`the --${f} option requires BuildKit; berth's builder is Docker's classic builder`);
      if (rest === '') fail('RUN requires at least one argument');
      return { kind: 'run', ...base, command: commandForm(rest) };
    }
    case 'cmd':
    case 'entrypoint': {
      if (rest === '') fail(`${upper} requires at least one argument`);
      return { kind: keyword, ...base, command: commandForm(rest) };
    }
    case 'shell': {
      const shell = jsonArray(rest);
      if (shell === undefined) fail('SHELL requires the arguments to be in JSON form');
      if (shell!.length === 0) fail('SHELL requires at least one argument');
      return { kind: 'shell', ...base, shell: shell! };
    }
    case 'copy':
    case 'add': {
      const json = jsonArray(rest);
      const args = json ?? rawWords(rest, ctx.escape);
      if (args.length < 2) fail(`${upper} requires at least two arguments, but only ${args.length === 0 ? 'zero' : 'one'} was provided. Destination could not be determined`);
      if (keyword === 'add' && flags.has('checksum')) fail('ADD --checksum needs a remote source, which berth does not fetch');
      const opt = (n: string) => (flags.has(n) ? { [n]: flags.get(n)! } : {});
      return { kind: keyword, ...base, args, json: json !== undefined, ...opt('from'), ...opt('chown'), ...opt('chmod') };
    }
    case 'env':
    case 'label':
      return { kind: keyword, ...base, pairs: nameValues(upper, rest, ctx.escape, fail) };
    case 'arg': {
      const words = rawWords(rest, ctx.escape);
      if (words.length === 0) fail('ARG requires at least one argument');
      return {
        kind: 'arg',
        ...base,
        args: words.map((w) => {
          const eq = w.indexOf('=');
          const name = eq < 0 ? w : w.slice(0, eq);
          if (name === '') fail('ARG names can not be blank');
          return eq < 0 ? { name } : { name, defaultValue: w.slice(eq + 1) };
        }),
      };
    }
    case 'workdir':
    case 'user':
    case 'stopsignal':
    case 'maintainer': {
      if (rest === '') fail(`${upper} requires exactly one argument`);
      if (keyword !== 'workdir' && keyword !== 'maintainer' && rawWords(rest, ctx.escape).length !== 1) fail(`${upper} requires exactly one argument`);
      return { kind: keyword, ...base, value: rest };
    }
    case 'expose':
    case 'volume': {
      const json = keyword === 'volume' ? jsonArray(rest) : undefined;
      const values = json ?? rawWords(rest, ctx.escape);
      if (values.length === 0) fail(`${upper} requires at least one argument`);
      return { kind: keyword, ...base, values, json: json !== undefined };
    }
    case 'healthcheck':
      return parseHealthcheck(rest, flags, base, fail);
    case 'onbuild':
      return fail('ONBUILD is not supported by berth\'s builder');
    default:
      return fail(`unknown instruction: ${upper}`);
  }
}

function commandForm(rest: string): CommandForm {
  const json = jsonArray(rest);
  return json !== undefined ? { json: true, args: json } : { json: false, args: [rest] };
}

/** ENV/LABEL: `k=v k2="v 2"`, or the legacy `k the value` (one pair, the rest of the line). */
function nameValues(upper: string, rest: string, escape: string, fail: (d: string) => never): Array<[string, string]> {
  const words = rawWords(rest, escape);
  if (words.length === 0) fail(`${upper} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const key = words[0]!;
    const value = rest.slice(rest.indexOf(key) + key.length).trim();
    if (value === '') fail(`${upper} must have two arguments`);
    return [[key, value]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) fail(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (eq === 0) fail(`${upper} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)] as [string, string];
  });
}

function parseHealthcheck(
  rest: string,
  flags: Map<string, string>,
  base: { line: number; original: string },
  fail: (d: string) => never,
): HealthcheckInstruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
  const type = m?.[1]?.toUpperCase();
  const hc: HealthcheckInstruction = { kind: 'healthcheck', ...base, intervalNs: 0, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0, retries: 0 };
  if (type === 'NONE') {
    if (m![2] !== '' || flags.size > 0) fail('HEALTHCHECK NONE takes no arguments');
    return hc;
  }
  if (type !== 'CMD') fail(`Unknown type "${m?.[1] ?? ''}" in HEALTHCHECK (try CMD)`);
  if (m![2] === '') fail('Missing command after HEALTHCHECK CMD');
  hc.command = commandForm(m![2]!);
  const duration = (name: string): number => {
    const raw = flags.get(name);
    if (raw === undefined) return 0;
    const ns = parseDuration(raw);
    if (ns === undefined) fail(`invalid duration for --${name}: ${raw}`);
    if (ns! !== 0 && ns! < 1e6) fail(`Interval "${name}" cannot be less than 1ms`);
    return ns!;
  };
  hc.intervalNs = duration('interval');
  hc.timeoutNs = duration('timeout');
  hc.startPeriodNs = duration('start-period');
  hc.startIntervalNs = duration('start-interval');
  const retries = flags.get('retries');
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries)) fail(`invalid value for --retries: ${retries}`);
    hc.retries = Number(retries);
  }
  return hc;
}
