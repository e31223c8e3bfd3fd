import type { Readable } from 'node:stream';

/** A message conmon writes on its sync and attach pipes (api-version 1). */
export interface SyncMessage {
  data: number;
  message?: string;
}

/** Reads conmon's newline-delimited JSON messages from a pipe, one at a time. */
export class JsonLines {
  private buffer = '';
  private readonly queue: SyncMessage[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        try {
          const msg = JSON.parse(line) as SyncMessage;
          if (typeof msg.data === 'number') this.queue.push(msg);
        } catch {
          // not conmon's JSON: ignored (conmon writes nothing else here)
        }
      }
      this.wake?.();
    });
    const end = () => {
      this.ended = true;
      this.wake?.();
    };
    stream.on('end', end).on('close', end).on('error', end);
  }

  /** The next message; undefined when the pipe closed first. */
  async next(): Promise<SyncMessage | undefined> {
    for (;;) {
      const msg = this.queue.shift();
      if (msg) return msg;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
