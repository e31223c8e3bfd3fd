/**
 * The parsed form of each Dockerfile instruction. Values that Docker substitutes variables in
 * are kept raw (quotes and `$` intact): the executor expands them with the stage's variables at
 * the time the instruction runs.
 */

/** RUN, CMD, ENTRYPOINT, HEALTHCHECK CMD: exec form (JSON array) or shell form (one string). */
export interface CommandForm {
  json: boolean;
  /** Exec form: the argv; shell form: one element, the command line as written. */
  args: string[];
}

interface Base {
  /** 1-based line where the instruction starts. */
  line: number;
  /** The instruction as written (continuations joined), for "Step n/m : …". */
  original: string;
}

export interface FromInstruction extends Base {
  kind: 'from';
  image: string;
  stageName?: string;
  platform?: string;
}

export interface RunInstruction extends Base {
  kind: 'run';
  command: CommandForm;
}

export interface CmdInstruction extends Base {
  kind: 'cmd' | 'entrypoint';
  command: CommandForm;
}

export interface ShellInstruction extends Base {
  kind: 'shell';
  shell: string[];
}

export interface CopyInstruction extends Base {
  kind: 'copy' | 'add';
  /** Sources then destination, raw; shell form words keep their quotes. */
  args: string[];
  json: boolean;
  from?: string;
  chown?: string;
  chmod?: string;
}

export interface KeyValueInstruction extends Base {
  kind: 'env' | 'label';
  /** Raw keys and values (quotes intact). */
  pairs: Array<[string, string]>;
}

export interface ArgInstruction extends Base {
  kind: 'arg';
  args: Array<{ name: string; defaultValue?: string }>;
}

/** WORKDIR, USER, STOPSIGNAL, MAINTAINER: one raw value, the rest of the line. */
export interface ValueInstruction extends Base {
  kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer';
  value: string;
}

/** EXPOSE and VOLUME: a list of raw words. */
export interface ListInstruction extends Base {
  kind: 'expose' | 'volume';
  values: string[];
  json: boolean;
}

export interface HealthcheckInstruction extends Base {
  kind: 'healthcheck';
  /** undefined: HEALTHCHECK NONE. */
  command?: CommandForm;
  intervalNs: number;
  timeoutNs: number;
  startPeriodNs: number;
  startIntervalNs: number;
  retries: number;
}

export type Instruction =
  | RunInstruction
  | CmdInstruction
  | ShellInstruction
  | CopyInstruction
  | KeyValueInstruction
  | ArgInstruction
  | ValueInstruction
  | ListInstruction
  | HealthcheckInstruction;

export interface Stage {
  index: number;
  from: FromInstruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM: usable in FROM lines only (unless redeclared in a stage). */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  escape: '\\' | '`';
}
