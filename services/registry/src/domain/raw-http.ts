import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { BerthError } from '@berth/kit';

/**
 * Size of the buffers a body is read into, and so of the chunks it yields. The socket reads
 * straight into them (net's `onread`), several reads to a chunk, so a 200 MB blob costs ~200
 * allocations at most, and none once the consumer recycles its chunks.
 */
export const RAW_CHUNK = 1 << 20;
/** Filled chunks held for a slow consumer before the socket is paused. */
const READY_MAX = 2;
/** Recycled buffers kept for the next reads. */
const POOL_MAX = 4;
/** Limit of the status line and headers together. */
const HEAD_MAX = 64 * 1024;

/** A response body as the registry client reads it: node's IncomingMessage, or a RawBody. */
export interface HttpBody extends AsyncIterable<Buffer> {
  /** Whether the whole body was received. */
  readonly complete: boolean;
  destroy(error?: Error): void;
  /** Throws the rest away (a RawBody just closes its connection: it is never reused). */
  resume(): void;
  /**
   * Hands a chunk this body yielded back for reuse once the consumer is done with it (the
   * bytes may then be overwritten). Optional for consumers: a chunk not handed back is theirs.
   */
  recycle?(chunk: Buffer): void;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: RawBody;
}

export interface RawGetOptions {
  url: URL;
  headers: Record<string, string>;
  /** Names the exchange in errors: `Get "http://…"`. */
  what: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  /** An error for the caller's cancellation; the exchange is destroyed with it. */
  onAbort?: { signal: AbortSignal; error: () => Error };
  /** The error for a failed exchange (refused, timed out, malformed): http.ts's TransportError. */
  transportError(message: string, cause?: unknown): Error;
}

/** A success not framed by Content-Length (chunked, or read to EOF): ask node:http instead. */
export class NotLengthFramed extends Error {}

/**
 * A plain-HTTP GET whose body is read into reused 1 MiB buffers. node:http copies every ~64 KiB
 * piece of a body out of a freshly allocated read buffer: for a 200 MB blob that cost the
 * registry service ~300 ms of CPU and a full garbage collection every ~20 MB, against ~130 ms
 * here (bench/pull.mjs). One connection per request (`Connection: close`), for responses framed
 * by Content-Length. A success framed otherwise rejects with NotLengthFramed before a byte of
 * body is read, so the caller can repeat the (idempotent) GET through node:http; an error answer
 * framed otherwise (a 429 with Retry-After, say, which must not be asked again at once) is read
 * to its end, at most 1 MiB, and its body handed out whole.
 */
export function rawGet(opts: RawGetOptions): Promise<RawResponse> {
  const { url, what } = opts;
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, 'connection: close'];
  for (const [name, value] of Object.entries(opts.headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) return Promise.reject(new BerthError('invalid_argument', `${what}: header ${JSON.stringify(name)} contains a line break`));
    if (name.toLowerCase() !== 'host' && name.toLowerCase() !== 'connection') lines.push(`${name}: ${value}`);
  }
  const body = new RawBody(opts);
  body.socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return body.response;
}

/** The connection, the response head and then the body of one rawGet. */
export class RawBody implements HttpBody {
  readonly socket: net.Socket;
  readonly response: Promise<RawResponse>;
  complete = false;
  private resolveHead!: (r: RawResponse) => void;
  private rejectHead!: (err: Error) => void;
  private headDone = false;
  private headTimer: NodeJS.Timeout | undefined;
  /** Body bytes still to come. */
  private remaining = 0;
  /** The buffer reads go into; bytes from `start` to `fill` are read but not yet yielded. */
  private current: Buffer | undefined;
  private start = 0;
  private fill = 0;
  private readonly ready: Buffer[] = [];
  /** Chunks not yet handed back, per buffer; a buffer full and with none out goes to the pool. */
  private readonly out = new WeakMap<ArrayBufferLike, { chunks: number; full: boolean }>();
  private readonly pool: Buffer[] = [];
  private paused = false;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly unwire: () => void;
  /** An error answer without Content-Length, read until the server closes. */
  private untilEof: { status: number; headers: IncomingHttpHeaders; from: number } | undefined;

  constructor(private readonly opts: RawGetOptions) {
    this.response = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    this.response.catch(() => undefined); // returned to the caller, who awaits it
    const port = Number(opts.url.port || 80);
    this.socket = net.connect({
      host: opts.url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port,
      onread: { buffer: () => this.nextBuffer(), callback: (n: number) => this.onRead(n) },
    });
    // Before the head, a socket error means the exchange failed; after it, the body was cut
    // (the consumer words that, as for node:http's 'aborted').
    this.socket.on('error', (err) => this.fail(this.headDone ? err : opts.transportError(`${opts.what}: ${err.message}`, err)));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.onEnd());
    this.headTimer = setTimeout(() => this.fail(opts.transportError(`${opts.what}: no response within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    this.socket.setTimeout(opts.idleTimeoutMs, () => {
      // A paused socket waits for the consumer, not for the server.
      if (this.headDone && !this.paused) this.fail(opts.transportError(`${opts.what}: no data for ${opts.idleTimeoutMs} ms`));
    });
    const abort = opts.onAbort;
    const onAbort = () => this.fail(abort!.error());
    abort?.signal.addEventListener('abort', onAbort, { once: true });
    this.unwire = () => abort?.signal.removeEventListener('abort', onAbort);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const chunk = this.ready.shift();
      if (chunk) {
        if (this.paused && this.ready.length < READY_MAX && !this.ended) {
          this.paused = false;
          this.socket.resume();
        }
        yield chunk;
        continue;
      }
      if (this.error) throw this.error;
      if (this.ended) return;
      // Nothing full yet: the consumer takes what there is (a slow network) rather than wait.
      if (this.headDone && this.current && this.fill > this.start) {
        this.push();
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  recycle(chunk: Buffer): void {
    const state = this.out.get(chunk.buffer);
    if (!state || state.chunks === 0) return;
    state.chunks--;
    if (state.full && state.chunks === 0) this.reuse(chunk.buffer);
  }

  resume(): void {
    this.destroy();
  }

  destroy(error?: Error): void {
    if (error) this.fail(error);
    else this.finish();
  }

  /** Where the next read lands: the rest of the current 1 MiB buffer. */
  private nextBuffer(): Buffer {
    if (!this.current) {
      this.current = this.pool.pop() ?? Buffer.allocUnsafe(RAW_CHUNK);
      this.start = this.fill = 0;
    }
    return this.current.subarray(this.fill);
  }

  private onRead(n: number): boolean {
    this.fill += n;
    if (this.untilEof) {
      if (this.fill >= RAW_CHUNK) this.fail(this.opts.transportError(`${this.opts.what}: error answer larger than ${RAW_CHUNK} bytes`));
      return true;
    }
    if (!this.headDone) {
      if (!this.parseHead()) return true;
    } else {
      this.remaining -= n;
    }
    if (this.remaining <= 0) {
      // Bytes beyond the declared length (a server that sends more) are not part of the body.
      this.fill += this.remaining;
      this.remaining = 0;
      this.complete = true;
      this.push();
      this.finish();
      return false;
    }
    // A full buffer is a chunk; so is what there is when the consumer waits (a slow network).
    if (this.fill === RAW_CHUNK || this.wake) this.push();
    if (this.ready.length >= READY_MAX) {
      this.paused = true;
      return false;
    }
    return true;
  }

  /** Parses status line and headers once they are all in; returns false while they are not. */
  private parseHead(): boolean {
    const buf = this.current!;
    const end = buf.subarray(0, this.fill).indexOf('\r\n\r\n', 0, 'latin1');
    if (end < 0) {
      if (this.fill >= HEAD_MAX) this.fail(this.opts.transportError(`${this.opts.what}: response headers larger than ${HEAD_MAX} bytes`));
      return false;
    }
    const lines = buf.toString('latin1', 0, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!m) {
      this.fail(this.opts.transportError(`${this.opts.what}: malformed response status line`));
      return false;
    }
    const headers = parseHeaders(lines.slice(1));
    const length = Number(headers['content-length']);
    if (headers['transfer-encoding'] !== undefined || headers['content-length'] === undefined || !Number.isSafeInteger(length) || length < 0) {
      const status = Number(m[1]);
      if (status >= 200 && status < 300) this.fail(new NotLengthFramed(`${this.opts.what}: response not framed by Content-Length`));
      else this.untilEof = { status, headers, from: end + 4 };
      return false;
    }
    // Body bytes that came with the head move to the front of the buffer.
    const start = end + 4;
    buf.copyWithin(0, start, this.fill);
    this.fill -= start;
    this.start = 0;
    this.remaining = length - this.fill;
    this.headDone = true;
    clearTimeout(this.headTimer);
    this.resolveHead({ status: Number(m[1]), headers, body: this });
    return true;
  }

  /** Hands the bytes read so far to the consumer; a full buffer is done with. */
  private push(): void {
    const buf = this.current;
    if (!buf) return;
    let state = this.out.get(buf.buffer);
    if (!state) this.out.set(buf.buffer, (state = { chunks: 0, full: false }));
    if (this.fill > this.start) {
      this.ready.push(buf.subarray(this.start, this.fill));
      state.chunks++;
      this.start = this.fill;
    }
    if (this.fill === RAW_CHUNK || this.complete) {
      state.full = true;
      this.current = undefined;
      if (state.chunks === 0) this.reuse(buf.buffer);
    }
    this.wake?.();
  }

  private reuse(buffer: ArrayBufferLike): void {
    this.out.delete(buffer);
    if (this.pool.length < POOL_MAX) this.pool.push(Buffer.from(buffer, 0, RAW_CHUNK));
  }

  private onEnd(): void {
    if (this.ended) return;
    if (this.untilEof) return this.endUntilEof(this.untilEof);
    if (!this.headDone) return this.fail(this.opts.transportError(`${this.opts.what}: the connection closed before a response`));
    if (!this.complete) return this.fail(new Error(`the connection closed ${this.remaining} bytes before the end of the body`));
    this.finish();
  }

  /** The whole error answer is in: its body (de-chunked) becomes the one chunk. */
  private endUntilEof(answer: { status: number; headers: IncomingHttpHeaders; from: number }): void {
    this.untilEof = undefined;
    const raw = this.current!.subarray(answer.from, this.fill);
    const chunked = /chunked/i.test(String(answer.headers['transfer-encoding'] ?? ''));
    const body = chunked ? dechunk(raw) : Buffer.from(raw);
    if (!body) return this.fail(this.opts.transportError(`${this.opts.what}: malformed chunked body`));
    if (body.length > 0) this.ready.push(body);
    this.current = undefined;
    this.complete = true;
    this.headDone = true;
    clearTimeout(this.headTimer);
    this.resolveHead({ status: answer.status, headers: answer.headers, body: this });
    this.finish();
  }

  private fail(err: Error): void {
    if (this.ended) return;
    // What arrived before the failure is the consumer's (a resume starts after it).
    if (this.headDone) this.push();
    this.error = err;
    if (!this.headDone) this.rejectHead(err);
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.headTimer);
    this.unwire();
    this.socket.destroy();
    if (!this.headDone) this.rejectHead(this.opts.transportError(`${this.opts.what}: closed before a response`));
    this.wake?.();
  }
}

/** A whole chunked body decoded; undefined when it is malformed or cut short. */
function dechunk(raw: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  for (let at = 0; ; ) {
    const eol = raw.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return undefined;
    const size = Number.parseInt(raw.toString('latin1', at, eol).split(';')[0]!.trim(), 16);
    if (!Number.isSafeInteger(size) || size < 0) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (eol + 2 + size + 2 > raw.length) return undefined;
    parts.push(Buffer.from(raw.subarray(eol + 2, eol + 2 + size)));
    at = eol + 2 + size + 2;
  }
}

/** Headers as node:http presents them: lower-case names, duplicates joined or dropped as it does. */
function parseHeaders(lines: string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const seen = headers[name];
    if (name === 'set-cookie') headers[name] = [...((seen as string[] | undefined) ?? []), value];
    else if (seen === undefined) headers[name] = value;
    else if (!SINGLE.has(name)) headers[name] = `${seen as string}, ${value}`;
  }
  return headers as IncomingHttpHeaders;
}

/** Headers node:http keeps the first of (its `_addHeaderLine`). */
const SINGLE = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
]);
