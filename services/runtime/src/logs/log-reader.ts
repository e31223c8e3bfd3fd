import { open, type FileHandle } from 'node:fs/promises';
import { watch } from 'node:fs';
import { RecordAssembler, Stream, type LogRecord } from './k8s-file.js';

export interface LogQuery {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  sinceNs?: bigint;
  untilNs?: bigint;
  /** Only the last N records (after the stream and time filters); undefined: all. */
  tail?: number;
}

export interface FollowControl {
  /** True once nothing more will be written (the container is not running and its exit was handled). */
  isDone(): Promise<boolean>;
  signal?: AbortSignal;
  /**
   * Wakes a waiting follower when the writer may be done (the container exited), so the end is
   * noticed at once rather than at the next poll: subscribes `fire`, returns the unsubscribe.
   */
  wake?: (fire: () => void) => () => void;
  /** Upper bound between checks when the file does not change (fs.watch is the fast path). */
  pollMs?: number;
}

const CHUNK = 64 * 1024;

/**
 * Reads a k8s-file log as records; with `follow`, keeps reading until the writer is done. `files`
 * are the rotated logs, oldest first, and the live one last (one file is fine too).
 */
export async function* readLogs(files: string | string[], query: LogQuery, control: FollowControl): AsyncGenerator<LogRecord> {
  const list = typeof files === 'string' ? [files] : files;
  const file = list[list.length - 1]!;
  const wanted = (r: LogRecord) =>
    (r.stream === Stream.Stdout ? query.stdout : query.stderr) &&
    (query.sinceNs === undefined || r.timeNs >= query.sinceNs) &&
    (query.untilNs === undefined || r.timeNs <= query.untilNs);
  const past = (r: LogRecord) => query.untilNs !== undefined && r.timeNs > query.untilNs;
  const reader = new LineReader(file);
  const assembler = new RecordAssembler();
  try {
    // The backlog: everything written so far, trimmed to the tail.
    const backlog: LogRecord[] = [];
    let ended = false;
    const older = list.slice(0, -1);
    for (const line of [...(await readWhole(older)), ...(await reader.readAvailable())]) {
      for (const r of assembler.push(line)) {
        if (past(r)) ended = true;
        else if (wanted(r)) backlog.push(r);
      }
      if (query.tail !== undefined && backlog.length > query.tail * 2 + 1024) backlog.splice(0, backlog.length - query.tail);
    }
    const done = !query.follow || ended || (await control.isDone());
    if (done) for (const r of assembler.flush()) if (!past(r) && wanted(r)) backlog.push(r);
    yield* query.tail === undefined ? backlog : backlog.slice(Math.max(0, backlog.length - query.tail));
    if (done) return;
    // Following: new lines as they come, until the container is done and the file drained.
    for (;;) {
      const lines = await reader.readAvailable();
      for (const line of lines) {
        for (const r of assembler.push(line)) {
          if (past(r)) return;
          if (wanted(r)) yield r;
        }
      }
      if (lines.length === 0) {
        if (control.signal?.aborted) return;
        if (await control.isDone()) {
          for (const line of await reader.readAvailable()) for (const r of assembler.push(line)) if (wanted(r)) yield r;
          for (const r of assembler.flush()) if (wanted(r)) yield r;
          return;
        }
        await reader.waitForChange(control.pollMs ?? 250, control.signal, control.wake);
      }
    }
  } finally {
    await reader.close();
  }
}

/** The lines of files that no longer grow (rotated logs), in order. */
async function readWhole(files: string[]): Promise<Buffer[]> {
  const lines: Buffer[] = [];
  for (const f of files) {
    const reader = new LineReader(f);
    try {
      lines.push(...(await reader.readAvailable()));
    } finally {
      await reader.close();
    }
  }
  return lines;
}

/**
 * Reads whole lines from a file that grows and may be rotated (renamed away, a new file in its
 * place): the old file is read to its end before the new one, so nothing is lost — conmon has
 * closed the old file by the time it creates the new one.
 */
class LineReader {
  private handle: FileHandle | undefined;
  private ino = 0;
  private pos = 0;
  private rest = Buffer.alloc(0);

  constructor(private readonly file: string) {}

  async readAvailable(): Promise<Buffer[]> {
    const lines: Buffer[] = [];
    const next = await this.rotated();
    if (next) {
      lines.push(...(await this.drain()));
      await this.handle?.close();
      this.handle = next.handle;
      this.ino = next.ino;
      this.pos = 0;
    }
    lines.push(...(await this.drain()));
    return lines;
  }

  private async drain(): Promise<Buffer[]> {
    if (!this.handle) return [];
    const lines: Buffer[] = [];
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await this.handle.read(buf, 0, CHUNK, this.pos);
      if (bytesRead === 0) break;
      this.pos += bytesRead;
      let data = Buffer.concat([this.rest, buf.subarray(0, bytesRead)]);
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
        lines.push(data.subarray(0, nl));
        data = data.subarray(nl + 1);
      }
      this.rest = Buffer.from(data);
    }
    return lines;
  }

  /** A new file at the path (or, first, the file itself): the handle to switch to. */
  private async rotated(): Promise<{ handle: FileHandle; ino: number } | undefined> {
    const current = await open(this.file, 'r').catch(() => undefined);
    if (!current) return undefined;
    const st = await current.stat();
    if (this.handle && st.ino === this.ino) {
      await current.close();
      return undefined;
    }
    return { handle: current, ino: st.ino };
  }

  /** Resolves when the file changes, when `wake` fires, after maxMs at the latest, or on abort. */
  waitForChange(maxMs: number, signal?: AbortSignal, wake?: FollowControl['wake']): Promise<void> {
    return new Promise((resolve) => {
      let watcher: ReturnType<typeof watch> | undefined;
      let unsubscribe = () => {};
      const finish = () => {
        clearTimeout(timer);
        watcher?.close();
        unsubscribe();
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      if (wake) unsubscribe = wake(finish);
      const timer = setTimeout(finish, maxMs);
      try {
        watcher = watch(this.file, finish);
        watcher.on('error', finish);
      } catch {
        watcher = undefined; // no file yet: the timer polls
      }
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
