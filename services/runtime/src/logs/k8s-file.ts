/**
 * conmon's k8s-file log format: `<RFC3339Nano> <stdout|stderr> <F|P> <text>` per line, where P
 * marks a partial line (conmon's buffer boundary, or output without a final newline) to be joined
 * with what follows on the same stream until an F.
 */
import { parseRfc3339Ns } from '../domain/time.js';

export const Stream = { Stdout: 1, Stderr: 2 } as const;
export type Stream = (typeof Stream)[keyof typeof Stream];

export interface LogRecord {
  stream: Stream;
  /** Joined text; ends with "\n" when the line was complete. */
  data: Buffer;
  timestamp: string;
  timeNs: bigint;
}

interface RawLine {
  stream: Stream;
  partial: boolean;
  text: Buffer;
  timestamp: string;
  timeNs: bigint;
}

/** One file line (without its "\n"); undefined for lines that are not in the format. */
export function parseLine(line: Buffer): RawLine | undefined {
  const s1 = line.indexOf(0x20);
  const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
  const s3 = s2 < 0 ? -1 : line.indexOf(0x20, s2 + 1);
  const tagEnd = s3 < 0 ? line.length : s3;
  if (s2 < 0) return undefined;
  const timestamp = line.subarray(0, s1).toString('latin1');
  const streamName = line.subarray(s1 + 1, s2).toString('latin1');
  const tag = line.subarray(s2 + 1, tagEnd).toString('latin1');
  const timeNs = parseRfc3339Ns(timestamp);
  if (timeNs === undefined || (streamName !== 'stdout' && streamName !== 'stderr')) return undefined;
  return {
    stream: streamName === 'stdout' ? Stream.Stdout : Stream.Stderr,
    partial: tag.split(',').includes('P'),
    text: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1),
    timestamp,
    timeNs,
  };
}

/** Joins partial lines per stream into records, in the order their first part was written. */
export class RecordAssembler {
  private readonly pending = new Map<Stream, { first: RawLine; parts: Buffer[] }>();

  /** Feeds one file line; returns the records it completes. */
  push(line: Buffer): LogRecord[] {
    const raw = parseLine(line);
    if (!raw) return [];
    const open = this.pending.get(raw.stream);
    if (raw.partial) {
      if (open) open.parts.push(raw.text);
      else this.pending.set(raw.stream, { first: raw, parts: [raw.text] });
      return [];
    }
    this.pending.delete(raw.stream);
    const first = open?.first ?? raw;
    const parts = [...(open?.parts ?? []), raw.text, Buffer.from('\n')];
    return [{ stream: raw.stream, data: Buffer.concat(parts), timestamp: first.timestamp, timeNs: first.timeNs }];
  }

  /** What is left when the writer is gone: partial lines without their end (output with no final newline). */
  flush(): LogRecord[] {
    const out = [...this.pending.values()].map(({ first, parts }) => ({
      stream: first.stream, data: Buffer.concat(parts), timestamp: first.timestamp, timeNs: first.timeNs,
    }));
    this.pending.clear();
    return out.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  }
}
