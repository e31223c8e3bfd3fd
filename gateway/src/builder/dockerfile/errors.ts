import { BerthError } from '@berth/kit';

/** A Dockerfile that cannot be parsed; the message names the line as Docker's does. */
export class DockerfileParseError extends BerthError {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super('invalid_argument', `Dockerfile parse error line ${line}: ${detail}`);
  }
}
