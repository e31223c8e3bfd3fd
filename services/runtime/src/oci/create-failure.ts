import { readFile } from 'node:fs/promises';
import { BerthError, type ErrorKind } from '@berth/kit';

/** A start that failed in the runtime, with the exit code Docker records for it. */
export class StartFailure extends BerthError {
  constructor(kind: ErrorKind, message: string, readonly exitCode: number) {
    super(kind, message);
  }
}

/** The last error the runtime logged (JSON lines from --log-format=json). */
async function lastRuntimeError(logFile: string): Promise<string | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  let last: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const rec = JSON.parse(line) as { level?: string; msg?: string };
      if (rec.level === 'error' && rec.msg) last = rec.msg;
    } catch {
      if (line.trim()) last = line.trim(); // plain-text log from another runtime
    }
  }
  return last;
}

/** Docker's translateContainerdStartErr: a missing command is 127, a non-executable one 126, else 128. */
export async function createFailure(logFile: string, runtime: string): Promise<StartFailure> {
  const msg = (await lastRuntimeError(logFile)) ?? `${runtime} create failed (no details logged)`;
  const text = `OCI runtime create failed: ${msg}`;
  if (/executable file not found|no such file or directory/i.test(msg)) return new StartFailure('invalid_argument', text, 127);
  if (/permission denied/i.test(msg)) return new StartFailure('invalid_argument', text, 126);
  return new StartFailure('failed_precondition', text, 128); // not 'internal': the user needs the runtime's reason
}

/**
 * A failed `runtime exec` (conmon reports a negative pid and the runtime's stderr): Docker's codes,
 * 127 for a missing command, 126 otherwise.
 */
export async function execFailure(msg: { data: number; message?: string } | undefined, logFile: string): Promise<StartFailure> {
  const detail = msg?.message?.trim() || (await lastRuntimeError(logFile)) || 'conmon exited before the process started';
  const text = `OCI runtime exec failed: ${detail}`;
  if (/executable file not found|no such file or directory/i.test(detail)) return new StartFailure('invalid_argument', text, 127);
  if (/permission denied/i.test(detail)) return new StartFailure('invalid_argument', text, 126);
  return new StartFailure('failed_precondition', text, 126);
}
