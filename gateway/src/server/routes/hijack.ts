import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { BerthError } from '@berth/kit';
import type { runtime } from '@berth/proto';
import { encodeFrame, StreamType } from '../../stream/multiplexed-stream.js';
import type { UpgradeContext } from '../router.js';

/** Docker's default detach sequence, ctrl-p ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** "ctrl-p,ctrl-q" → [16, 17] (Docker's term.ToBytes: ctrl-a…z, ctrl-@ [ \ ] ^ _, or single characters). */
export function parseDetachKeys(keys: string): number[] {
  if (!keys) return [];
  return keys.split(',').map((key) => {
    const k = key.trim();
    if (k.length === 1) return k.charCodeAt(0);
    const m = /^ctrl-(.)$/.exec(k);
    const c = m?.[1];
    if (c && c >= 'a' && c <= 'z') return c.charCodeAt(0) - 'a'.charCodeAt(0) + 1;
    const special: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
    if (c && special[c] !== undefined) return special[c]!;
    throw new BerthError('invalid_argument', `Invalid escape keys (${keys}) provided`);
  });
}

/** The 101 status line of a hijacked attach or exec; after it the socket carries the raw stream. */
export function writeUpgrade(ctx: Pick<UpgradeContext, 'socket' | 'responseHeaders'>, contentType: string): void {
  ctx.socket.write(
    'HTTP/1.1 101 UPGRADED\r\n' +
      `Content-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
      Object.entries(ctx.responseHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
      '\r\n',
  );
}

/** One output chunk for the client: raw for a TTY, else in Docker's multiplexed framing. */
export function encodeOutput(out: runtime.StdioOutput, tty: boolean): Buffer {
  const data = Buffer.from(out.data);
  return tty ? data : encodeFrame(out.stream === 2 ? StreamType.Stderr : StreamType.Stdout, data);
}

/**
 * The client's input on a hijacked connection as stdio frames: its bytes, then the end of input
 * when it half-closes. The detach sequence is not forwarded: seeing it calls `onDetach` and ends
 * the input (bytes that only began the sequence are forwarded once it is clear they do not finish it).
 */
export async function* clientInput(socket: Duplex, head: Buffer, detachKeys: number[], onDetach: () => void): AsyncGenerator<runtime.StdioInput> {
  let matched = 0;
  const scan = (chunk: Buffer): { data: Buffer; detached: boolean } => {
    if (detachKeys.length === 0) return { data: chunk, detached: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === detachKeys[matched]) {
        matched++;
        if (matched === detachKeys.length) return { data: Buffer.from(out), detached: true };
        continue;
      }
      out.push(...detachKeys.slice(0, matched));
      matched = 0;
      if (byte === detachKeys[0]) matched = 1;
      else out.push(byte);
    }
    return { data: Buffer.from(out), detached: false };
  };
  const chunks: AsyncIterable<Buffer> = (async function* () {
    if (head.length) yield head;
    // Not the socket's own iterator: it destroys the socket when input ends, and output still flows.
    for await (const c of socket.iterator({ destroyOnReturn: false })) yield c as Buffer;
  })();
  for await (const chunk of chunks) {
    const { data, detached } = scan(chunk);
    if (data.length) yield { data };
    if (detached) {
      onDetach();
      return;
    }
  }
  yield { closeStdin: true };
}

/**
 * The body of an upgrade request: Node's HTTP parser stops at the headers of an upgrade, so the
 * Content-Length bytes are the start of the stream (`head`, then the socket). Returns the body and
 * whatever followed it (the client's first input).
 */
export async function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0 || length > 1024 * 1024) throw new BerthError('invalid_argument', 'invalid Content-Length');
  let buf = head;
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | undefined>((resolve) => {
      const onData = (c: Buffer) => (cleanup(), resolve(c));
      const onEnd = () => (cleanup(), resolve(undefined));
      const cleanup = () => socket.off('data', onData).off('end', onEnd).off('close', onEnd);
      socket.on('data', onData).once('end', onEnd).once('close', onEnd);
    });
    if (!chunk) throw new BerthError('invalid_argument', 'request body ended early');
    buf = Buffer.concat([buf, chunk]);
  }
  socket.pause(); // the rest is read by whoever takes the stream over
  return { body: buf.subarray(0, length), rest: buf.subarray(length) };
}
