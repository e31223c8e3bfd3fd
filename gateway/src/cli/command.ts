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
  /** The CLI's environment (DOCKER_CONFIG, HOME: where `login` keeps credentials). */
  env?: Record<string, string | undefined>;
  /** The controlling terminal when stdin and stdout are one (`run -it`, `exec -it`, `attach`). */
  terminal?: TerminalControl;
  /** Signals the user sends the CLI (`run` forwards them to the container). */
  onSignal(handler: (signal: NodeJS.Signals) => void): () => void;
}

/** Raw mode and size of the user's terminal. */
export interface TerminalControl {
  size(): { rows: number; columns: number };
  /** Calls back when the window changes size; returns the unsubscribe. */
  onResize(handler: () => void): () => void;
  setRaw(raw: boolean): void;
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
