import type { FlagSpec, ParsedArgs } from './args.js';
import type { EngineClient } from './engine-client.js';

/** Where a command writes, and whether that is a terminal (progress bars, colours). */
export interface Output {
  write(text: string | Uint8Array): void;
  isTTY: boolean;
  columns: number;
}

export interface CliContext {
  client: EngineClient;
  stdout: Output;
  stderr: Output;
  /** Standard input, when the process has one to read (`load`). */
  stdin?: NodeJS.ReadableStream;
  /** Signals the user sends the CLI (`run` forwards them to the container). */
  onSignal(handler: (signal: NodeJS.Signals) => void): () => void;
}

/**
 * One verb: its flags, a parse step from the command line to a typed options object, and an
 * action that takes only that object (nerdctl/podman's shape: options struct + action).
 * The action returns the exit status.
 */
export interface Command<O> {
  name: string;
  usage: string;
  summary: string;
  flags: FlagSpec[];
  /** false: flags end at the first positional (run). */
  interspersed?: boolean;
  /** Minimum positional arguments. */
  minArgs?: number;
  parse(args: ParsedArgs): O;
  action(options: O, ctx: CliContext): Promise<number>;
}

/** Lets commands with different option types live in one table. */
export type AnyCommand = Command<any>;
