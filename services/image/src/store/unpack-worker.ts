/**
 * Worker thread entry: unpacks one layer at a time for worker-unpacker.ts. Messages in:
 * start, grow, end, abort, lowers (the answer to our request); out: progress, lowers (a request),
 * done, error. Errors cross as { kind, message } and become BerthErrors again on the other side.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { BerthError } from '@berth/kit/errors';
import { CommandNodeTools } from './node-tools.js';
import { TailUnpack } from './tail-unpack.js';

export type ToWorker =
  | { type: 'start'; fd: number; mediaType: string; dir: string; maxLayerBytes: number }
  | { type: 'grow' | 'end'; size: number }
  | { type: 'abort'; message: string }
  | { type: 'lowers'; dirs: string[] };

export type FromWorker =
  | { type: 'progress'; consumed: number }
  | { type: 'lowers' }
  | { type: 'done'; diffId: string; size: number; tarSize: number }
  | { type: 'error'; kind: string | undefined; message: string; code: string | undefined };

const PROGRESS_EVERY = 4 << 20;

function serve(port: MessagePort): void {
  const tools = new CommandNodeTools();
  let job: TailUnpack | undefined;
  let abort: AbortController | undefined;
  let lowersWanted: ((dirs: string[]) => void) | undefined;
  const send = (m: FromWorker) => port.postMessage(m);

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'start': {
        abort = new AbortController();
        let reported = 0;
        const lowers = () => new Promise<string[]>((resolve) => ((lowersWanted = resolve), send({ type: 'lowers' })));
        job = new TailUnpack(m.fd, m.mediaType, { dir: m.dir, lowers, signal: abort.signal }, {
          tools,
          maxLayerBytes: m.maxLayerBytes,
          onProgress: (consumed) => {
            if (consumed - reported < PROGRESS_EVERY) return;
            reported = consumed;
            send({ type: 'progress', consumed });
          },
        });
        const finished = job;
        job.done.then(
          (r) => {
            send({ type: 'progress', consumed: finished.consumed });
            send({ type: 'done', diffId: r.diffId, size: r.size, tarSize: r.tarSize });
          },
          (err: unknown) => send(errorMessage(err)),
        );
        return;
      }
      case 'grow':
        return job?.grow(m.size);
      case 'end':
        return job?.end(m.size);
      case 'abort':
        return abort?.abort(new BerthError('cancelled', m.message));
      case 'lowers': {
        const resolve = lowersWanted;
        lowersWanted = undefined;
        return resolve?.(m.dirs);
      }
    }
  });
}

function errorMessage(err: unknown): FromWorker {
  const e = err as Error & { code?: unknown };
  return {
    type: 'error',
    kind: err instanceof BerthError ? err.kind : undefined,
    message: e?.message ?? String(err),
    code: typeof e?.code === 'string' ? e.code : undefined,
  };
}

if (parentPort) serve(parentPort);
