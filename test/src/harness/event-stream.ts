import http from 'node:http';

export interface EventStream {
  status: number;
  /** The next event (JSON line), or undefined when the stream ended. */
  next(timeoutMs?: number): Promise<Record<string, any> | undefined>;
  /** Reads events until one matches (returned), failing after timeoutMs. */
  until(match: (ev: Record<string, any>) => boolean, timeoutMs?: number): Promise<Array<Record<string, any>>>;
  close(): void;
}

/**
 * `GET /events` (or any newline-delimited JSON stream) on a unix socket, resolved once the
 * response headers arrive: for berth's gateway that means the subscription exists.
 */
export function openEventStream(socketPath: string, urlPath: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: urlPath }, (res) => {
      const lines: string[] = [];
      const waiters: Array<() => void> = [];
      let pending = '';
      let ended = false;
      const wake = () => waiters.splice(0).forEach((w) => w());
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) lines.push(line);
        }
        wake();
      });
      const finish = () => {
        if (pending.trim()) lines.push(pending.trim());
        pending = '';
        ended = true;
        wake();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      const next = async (timeoutMs = 15_000): Promise<Record<string, any> | undefined> => {
        const deadline = Date.now() + timeoutMs;
        while (lines.length === 0 && !ended) {
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
          await new Promise<void>((r) => {
            const timer = setTimeout(r, left);
            waiters.push(() => (clearTimeout(timer), r()));
          });
        }
        const line = lines.shift();
        return line === undefined ? undefined : (JSON.parse(line) as Record<string, any>);
      };
      resolve({
        status: res.statusCode ?? 0,
        next,
        async until(match, timeoutMs = 15_000) {
          const seen: Array<Record<string, any>> = [];
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const ev = await next(Math.max(1, deadline - Date.now()));
            if (!ev) throw new Error(`stream ended before the event; saw ${seen.map((e) => `${e.Type}.${e.Action}`).join(', ')}`);
            seen.push(ev);
            if (match(ev)) return seen;
          }
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/** Reads a whole (finite) event stream. */
export async function readAllEvents(socketPath: string, urlPath: string, timeoutMs = 15_000): Promise<{ status: number; events: Array<Record<string, any>> }> {
  const s = await openEventStream(socketPath, urlPath);
  const events: Array<Record<string, any>> = [];
  try {
    for (let ev = await s.next(timeoutMs); ev; ev = await s.next(timeoutMs)) events.push(ev);
  } finally {
    s.close();
  }
  return { status: s.status, events };
}
