import type { runtime } from '@berth/proto';
import { encodeFrame, StreamType } from '../../stream/multiplexed-stream.js';

export const MEDIA_TYPE_RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MEDIA_TYPE_MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

/** A container with a TTY has one output stream, sent raw; otherwise stdout and stderr are framed. */
export function logContentType(tty: boolean): string {
  return tty ? MEDIA_TYPE_RAW_STREAM : MEDIA_TYPE_MULTIPLEXED_STREAM;
}

/** One log line as Docker sends it, with the RFC 3339 timestamp first when asked for. */
export function encodeLogEntry(entry: runtime.LogEntry, options: { tty: boolean; timestamps: boolean }): Buffer {
  const data = options.timestamps ? Buffer.concat([Buffer.from(`${entry.timestamp} `), entry.data]) : Buffer.from(entry.data);
  if (options.tty) return data;
  return encodeFrame(entry.stream === 2 ? StreamType.Stderr : StreamType.Stdout, data);
}
