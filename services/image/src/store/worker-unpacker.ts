import { closeSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Attr, BerthError, withSpan, type ErrorKind } from '@berth/kit';
import type { LayerUnpacker, UnpackJob, UnpackResult, UnpackTarget } from '../domain/snapshotter.js';
import type { FromWorker, ToWorker } from './unpack-worker.js';

/** An idle worker is kept this long for the next layer (starting one costs ~100 ms of CPU). */
const IDLE_MS = 5 * 60_000;

/**
 * Unpacks layers in worker threads, one layer per worker at a time, at most one worker per CPU
 * (more only compete for the same cores); further layers queue in the order they started, so a
 * layer never waits for a worker held by a layer above it. A worker reads the blob file as the
 * download writes it and does the decompression, hashing, tar parsing and file writes, so the
 * service's thread only moves bytes into the ingest file. A worker's small heap also makes the
 * garbage collections that a stream of large buffers forces cheap: on the main thread they cost
 * ~0.7 s per 200 MB pull (bench/pull.mjs).
 */
export class WorkerLayerUnpacker implements LayerUnpacker {
  private readonly idle: Array<{ worker: Worker; timer: NodeJS.Timeout }> = [];
  private readonly queue: Array<(worker: Worker) => void> = [];
  private readonly all = new Set<Worker>();
  private readonly max: number;

  constructor(
    private readonly maxLayerBytes: number,
    maxWorkers = Math.max(2, availableParallelism()),
  ) {
    this.max = maxWorkers;
  }

  start(file: string, mediaType: string, target: UnpackTarget): UnpackJob {
    const fd = openSync(file, 'r');
    const worker = this.take();
    return new WorkerJob(worker, fd, mediaType, target, this.maxLayerBytes, (w, reusable) => {
      closeSync(fd);
      if (w && reusable) this.release(w);
      else if (w) void this.end(w);
    });
  }

  /** Ends every worker (the service is stopping). */
  async close(): Promise<void> {
    for (const { timer } of this.idle.splice(0)) clearTimeout(timer);
    await Promise.all([...this.all].map((w) => this.end(w)));
  }

  private take(): Promise<Worker> {
    const idle = this.idle.pop();
    if (idle) {
      clearTimeout(idle.timer);
      idle.worker.ref();
      return Promise.resolve(idle.worker);
    }
    if (this.all.size < this.max) {
      const worker = new Worker(new URL('./unpack-worker.js', import.meta.url));
      this.all.add(worker);
      worker.once('exit', () => this.forget(worker));
      return Promise.resolve(worker);
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(worker: Worker): void {
    const next = this.queue.shift();
    if (next) return next(worker);
    worker.unref();
    const timer = setTimeout(() => void this.end(worker), IDLE_MS);
    timer.unref();
    this.idle.push({ worker, timer });
  }

  private forget(worker: Worker): void {
    this.all.delete(worker);
    const i = this.idle.findIndex((e) => e.worker === worker);
    if (i >= 0) this.idle.splice(i, 1);
    // A slot freed: a queued layer gets a fresh worker.
    const next = this.queue.shift();
    if (next) void this.take().then(next);
  }

  private async end(worker: Worker): Promise<void> {
    this.forget(worker);
    await worker.terminate();
  }
}

/** One layer on a worker: messages sent before the worker is assigned are replayed once it is. */
class WorkerJob implements UnpackJob {
  consumed = 0;
  readonly done: Promise<UnpackResult>;
  private worker: Worker | undefined;
  private readonly backlog: ToWorker[] = [];

  constructor(
    assigned: Promise<Worker>,
    fd: number,
    mediaType: string,
    target: UnpackTarget,
    maxLayerBytes: number,
    settled: (worker: Worker | undefined, reusable: boolean) => void,
  ) {
    const run = assigned.then((worker) => this.run(worker, fd, mediaType, target, maxLayerBytes, settled));
    this.done = withSpan('snapshot.Apply', { [Attr.Digest]: target.digest ?? '' }, async (span) => {
      const result = await run;
      span.setAttribute(Attr.Bytes, this.consumed);
      return result;
    });
  }

  grow(size: number): void {
    this.send({ type: 'grow', size });
  }

  end(size: number): void {
    this.send({ type: 'end', size });
  }

  abort(reason: Error): void {
    this.send({ type: 'abort', message: reason.message });
  }

  private send(m: ToWorker): void {
    if (this.worker) this.worker.postMessage(m);
    else this.backlog.push(m);
  }

  private run(worker: Worker, fd: number, mediaType: string, target: UnpackTarget, maxLayerBytes: number, settled: (w: Worker, reusable: boolean) => void): Promise<UnpackResult> {
    return new Promise<UnpackResult>((resolve, reject) => {
      const onAbort = () => this.abort((target.signal?.reason as Error) ?? new Error('cancelled'));
      const finish = (reusable: boolean) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        target.signal?.removeEventListener('abort', onAbort);
        settled(worker, reusable);
      };
      const onMessage = (m: FromWorker) => {
        if (m.type === 'progress') this.consumed = m.consumed;
        else if (m.type === 'lowers') {
          // The layers below failed: this one cannot finish either (the pull is failing anyway).
          target.lowers().then((dirs) => this.send({ type: 'lowers', dirs: [...dirs] }), (err: unknown) => this.abort(err as Error));
        } else if (m.type === 'done') {
          finish(true);
          resolve({ diffId: m.diffId, size: m.size, tarSize: m.tarSize });
        } else {
          finish(true);
          reject(m.kind ? new BerthError(m.kind as ErrorKind, m.message) : Object.assign(new Error(m.message), { code: m.code }));
        }
      };
      const onError = (err: Error) => {
        finish(false);
        reject(new BerthError('internal', `layer unpack worker failed: ${err.message}`, { cause: err }));
      };
      const onExit = (code: number) => onError(new Error(`exited with status ${code}`));
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      this.worker = worker;
      worker.postMessage({ type: 'start', fd, mediaType, dir: target.dir, maxLayerBytes } satisfies ToWorker);
      for (const m of this.backlog.splice(0)) worker.postMessage(m);
      if (target.signal?.aborted) onAbort();
      else target.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
