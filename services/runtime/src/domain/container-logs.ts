import { BerthError } from '@berth/kit';
import { readLogs } from '../logs/log-reader.js';
import { logFiles } from '../logs/log-files.js';
import type { LogRecord } from '../logs/k8s-file.js';
import { isRunning } from './container.js';
import type { RuntimeContext } from './context.js';
import { findContainer } from './lookup.js';
import { parseTimeFilter } from './time.js';

export interface LogsRequest {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Unix seconds[.nanos] or RFC 3339; "" for none. */
  since: string;
  until: string;
  /** "all", "" or a number. */
  tail: string;
}

/** Docker's logs from conmon's k8s-file log; `follow` ends when the container has stopped and the file is drained. */
export async function* containerLogs(ctx: RuntimeContext, ref: string, req: LogsRequest, signal?: AbortSignal): AsyncGenerator<LogRecord> {
  const c = findContainer(ctx, ref);
  if (!req.stdout && !req.stderr) throw new BerthError('invalid_argument', 'You must choose at least one stream');
  let tail: number | undefined;
  if (req.tail !== '' && req.tail !== 'all') {
    if (!/^\d+$/.test(req.tail)) throw new BerthError('invalid_argument', `invalid tail value: ${req.tail}`);
    tail = Number(req.tail);
  }
  const time = (what: string, text: string) => {
    const ns = parseTimeFilter(text);
    if (text && ns === undefined) throw new BerthError('invalid_argument', `invalid value for "${what}": ${text}`);
    return ns;
  };
  const sinceNs = time('since', req.since);
  const untilNs = time('until', req.until);
  yield* readLogs(
    await logFiles(c.logPath, ctx.logMaxFiles),
    {
      follow: req.follow, stdout: req.stdout, stderr: req.stderr,
      ...(sinceNs !== undefined ? { sinceNs } : {}), ...(untilNs !== undefined ? { untilNs } : {}),
      ...(tail !== undefined ? { tail } : {}),
    },
    {
      isDone: async () => {
        const current = ctx.db.get(c.id);
        return !current || !isRunning(current);
      },
      wake: (fire) => {
        const exit = ctx.waiters.register(c.id, 'exit');
        exit.promise.then(fire, () => undefined);
        return exit.cancel;
      },
      ...(signal ? { signal } : {}),
    },
  );
}
