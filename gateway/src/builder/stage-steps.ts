import { invalidArgument } from '@berth/kit';
import type { Instruction } from './dockerfile/instructions.js';
import { processWord, processWords, type Vars } from './dockerfile/shell-lex.js';
import { DEFAULT_SHELL, envMap, exposedPorts, resolveWorkdir, setEnv, type ContainerConfig } from './image-config.js';
import { stageVars, type BuildArgs } from './build-args.js';

/** What a stage has while it is being built. */
export interface StageState {
  /** The image so far; undefined for `FROM scratch` until its first step. */
  image: string | undefined;
  config: ContainerConfig;
  /** ARGs declared in this stage that have a value. */
  args: Map<string, string>;
  escape: string;
  /** A CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

/** A config-only step: the new config, and the instruction as it reads after substitution. */
export interface ConfigStep {
  kind: 'config';
  instruction: string;
  config: ContainerConfig;
}

export function vars(state: StageState): Vars {
  return stageVars(state.args, envMap(state.config.Env));
}

const sub = (state: StageState, raw: string) => processWord(raw, vars(state), state.escape);

/**
 * The config change an instruction makes (ENV, LABEL, WORKDIR, USER, CMD, ENTRYPOINT, EXPOSE,
 * VOLUME, HEALTHCHECK, SHELL, STOPSIGNAL, ARG, MAINTAINER), substituting variables where Docker
 * does. Returns undefined for RUN, COPY and ADD.
 */
export function configStep(state: StageState, i: Instruction, buildArgs: BuildArgs): ConfigStep | undefined {
  const c: ContainerConfig = JSON.parse(JSON.stringify(state.config)) as ContainerConfig;
  const step = (instruction: string): ConfigStep => ({ kind: 'config', instruction, config: c });
  switch (i.kind) {
    case 'env': {
      // Every pair sees the variables as they were before this instruction (Docker's rule).
      const v = vars(state);
      let env = c.Env ?? [];
      const shown: string[] = [];
      for (const [k, raw] of i.pairs) {
        const key = processWord(k, v, state.escape);
        const value = processWord(raw, v, state.escape);
        env = setEnv(env, key, value);
        shown.push(`${key}=${value}`);
      }
      c.Env = env;
      return step(`ENV ${shown.join(' ')}`);
    }
    case 'label': {
      const v = vars(state);
      const labels = { ...(c.Labels ?? {}) };
      const shown: string[] = [];
      for (const [k, raw] of i.pairs) {
        const key = processWord(k, v, state.escape);
        labels[key] = processWord(raw, v, state.escape);
        shown.push(`${key}=${labels[key]}`); // moby's history text: the pairs as they read after substitution, unquoted
      }
      c.Labels = labels;
      return step(`LABEL ${shown.join(' ')}`);
    }
    case 'arg': {
      const shown: string[] = [];
      for (const a of i.args) {
        const dflt = a.defaultValue === undefined ? undefined : sub(state, a.defaultValue);
        const value = buildArgs.stageValue(a.name, dflt);
        if (value !== undefined) state.args.set(a.name, value);
        shown.push(dflt === undefined ? a.name : `${a.name}=${dflt}`);
      }
      return step(`ARG ${shown.join(' ')}`);
    }
    case 'workdir':
      c.WorkingDir = resolveWorkdir(c.WorkingDir, sub(state, i.value));
      return step(`WORKDIR ${c.WorkingDir}`);
    case 'user':
      c.User = sub(state, i.value);
      return step(`USER ${c.User}`);
    case 'stopsignal':
      c.StopSignal = sub(state, i.value);
      return step(`STOPSIGNAL ${c.StopSignal}`);
    case 'maintainer':
      return step(`MAINTAINER ${i.value}`);
    case 'cmd':
    case 'entrypoint': {
      const argv = i.command.json ? i.command.args : [...(c.Shell ?? DEFAULT_SHELL), i.command.args[0]!];
      if (i.kind === 'cmd') {
        c.Cmd = argv;
        state.cmdSet = true;
      } else {
        c.Entrypoint = argv;
        if (!state.cmdSet) c.Cmd = null; // ENTRYPOINT resets a CMD inherited from the base image (Docker's rule)
      }
      return step(`${i.kind.toUpperCase()} ${JSON.stringify(argv)}`);
    }
    case 'shell':
      c.Shell = i.shell;
      return step(`SHELL ${JSON.stringify(i.shell)}`);
    case 'expose': {
      const ports = { ...(c.ExposedPorts ?? {}) };
      const words = i.values.flatMap((w) => processWords(w, vars(state), state.escape));
      for (const w of words) {
        try {
          for (const p of exposedPorts(w)) ports[p] = {};
        } catch (err) {
          throw invalidArgument((err as Error).message);
        }
      }
      c.ExposedPorts = ports;
      return step(`EXPOSE ${Object.keys(ports).sort().join(' ')}`);
    }
    case 'volume': {
      const volumes = { ...(c.Volumes ?? {}) };
      const words = i.json ? i.values.map((w) => sub(state, w)) : i.values.flatMap((w) => processWords(w, vars(state), state.escape));
      for (const w of words) {
        if (w.trim() === '') throw invalidArgument('VOLUME specified can not be an empty string');
        volumes[w] = {};
      }
      c.Volumes = volumes;
      return step(`VOLUME ${JSON.stringify(words)}`);
    }
    case 'healthcheck': {
      if (!i.command) {
        c.Healthcheck = { Test: ['NONE'] };
      } else {
        const test = i.command.json ? ['CMD', ...i.command.args] : ['CMD-SHELL', i.command.args[0]!];
        c.Healthcheck = {
          Test: test,
          ...(i.intervalNs && { Interval: i.intervalNs }),
          ...(i.timeoutNs && { Timeout: i.timeoutNs }),
          ...(i.startPeriodNs && { StartPeriod: i.startPeriodNs }),
          ...(i.startIntervalNs && { StartInterval: i.startIntervalNs }),
          ...(i.retries && { Retries: i.retries }),
        };
      }
      return step(`HEALTHCHECK ${JSON.stringify(c.Healthcheck)}`);
    }
    default:
      return undefined;
  }
}

/** RUN's argv, its environment (ENV over the ARGs in effect) and Docker's `|N k=v` history prefix. */
export function runCommand(state: StageState, command: { json: boolean; args: string[] }, predefined: ReadonlyMap<string, string>): { argv: string[]; env: string[]; createdBy: string; argsKey: string } {
  const argv = command.json ? command.args : [...(state.config.Shell ?? DEFAULT_SHELL), command.args[0]!];
  const envKeys = envMap(state.config.Env);
  const inEffect = new Map([...predefined, ...state.args]);
  for (const k of envKeys.keys()) inEffect.delete(k);
  const argEnv = [...inEffect].map(([k, v]) => `${k}=${v}`).sort();
  // Docker leaves the proxy args out of the history (they often carry credentials).
  const recorded = argEnv.filter((kv) => !predefined.has(kv.slice(0, kv.indexOf('='))) || state.args.has(kv.slice(0, kv.indexOf('='))));
  const prefix = recorded.length > 0 ? `|${recorded.length} ${recorded.join(' ')} ` : '';
  return { argv, env: [...(state.config.Env ?? []), ...argEnv], createdBy: `${prefix}${argv.join(' ')}`, argsKey: argEnv.join('\n') };
}
