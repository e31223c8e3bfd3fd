import { progressText } from '../../format/progress-bar.js';
import type { Output } from '../command.js';
import { StreamError } from '../errors.js';

/** A line of the daemon's JSON message stream, as the CLI reads it. */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  errorDetail?: { message?: string };
  error?: string;
}

const ESC = '\x1b[';

/**
 * Renders a pull as the docker CLI does (jsonmessage.DisplayJSONMessagesStream). On a terminal
 * each layer keeps one line, redrawn in place with its progress bar; messages without a
 * progressDetail (the "Digest:" and "Status:" lines) are printed below and end the layer block.
 * Elsewhere plain lines, and progress updates are skipped.
 */
export class PullProgressRenderer {
  /** Layer id → its line, counted from the top of the block. */
  private lines = new Map<string, number>();

  constructor(private readonly out: Output) {}

  push(msg: ProgressMessage): void {
    if (msg.errorDetail || msg.error) throw new StreamError(msg.errorDetail?.message ?? msg.error ?? 'unknown error');
    const tty = this.out.isTTY;
    let diff = 0;
    if (msg.id && msg.progressDetail) {
      let line = this.lines.get(msg.id);
      if (line === undefined) {
        line = this.lines.size;
        this.lines.set(msg.id, line);
        if (tty) this.out.write('\n');
      }
      diff = this.lines.size - line;
      if (tty) this.out.write(`${ESC}${diff}A`);
    } else {
      this.lines = new Map();
    }
    this.display(msg);
    if (msg.id && tty && diff > 0) this.out.write(`${ESC}${diff}B`);
  }

  private display(msg: ProgressMessage): void {
    const tty = this.out.isTTY;
    const detail = msg.progressDetail;
    const hasBytes = detail !== undefined && ((detail.current ?? 0) > 0 || (detail.total ?? 0) > 0);
    if (!tty && hasBytes) return;
    let end = '\n';
    if (tty && detail) {
      this.out.write(`${ESC}2K\r`);
      end = '\r';
    }
    const id = msg.id ? `${msg.id}: ` : '';
    const bar = tty && hasBytes ? ' ' + progressText(detail!.current ?? 0, detail!.total ?? 0, this.out.columns > 110) : '';
    this.out.write(`${id}${msg.status ?? ''}${bar}${end}`);
  }
}
