/** The daemon answered with an error: printed as Docker prints it, "Error response from daemon: …". */
export class DaemonError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DaemonError';
  }
}

/** The command line was wrong: printed with a pointer to the verb's help, exit status 125. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly verb?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Anything else the CLI reports as is (cannot connect, a pull that failed mid-stream). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The daemon reported an error inside a progress stream (pull, push) after its 200: printed as is. */
export class StreamError extends Error {}
