import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '@berth/kit';
import { NotLengthFramed, rawGet, type HttpBody } from './raw-http.js';

export type { HttpBody } from './raw-http.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One HTTP exchange as the registry client needs it. */
export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  /**
   * Bytes (sent with their Content-Length), or a one-shot stream (the caller sets Content-Length;
   * without it the body goes chunked). A stream cannot be replayed: no redirects are followed.
   */
  body?: Buffer | Readable;
  signal?: AbortSignal;
  /** Time allowed until the response headers arrive. */
  timeoutMs: number;
  /** Time the body may stall before the exchange is abandoned. */
  idleTimeoutMs: number;
  /** Skip TLS verification (insecure registries tried over https first, as Docker does). */
  insecureTls?: boolean;
  /**
   * A large body is coming (a blob): a plain-HTTP GET reads it with rawGet (raw-http.ts) into
   * reused 1 MiB buffers instead of node:http's copied 64 KiB pieces.
   */
  bulk?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  url: URL;
  body: HttpBody;
}

/** A failure to exchange at all (refused, reset, TLS, timeout): worth a retry, then `unavailable`. */
export class TransportError extends BerthError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, { cause });
  }
}

const MAX_REDIRECTS = 10;

/** Keep-alive agents; one set per client, destroyed by `close()`. */
export class HttpAgents {
  readonly http = new http.Agent({ keepAlive: true, maxSockets: 32 });
  readonly https = new https.Agent({ keepAlive: true, maxSockets: 32 });
  readonly httpsInsecure = new https.Agent({ keepAlive: true, maxSockets: 32, rejectUnauthorized: false });

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
    this.httpsInsecure.destroy();
  }
}

/**
 * Sends a request and follows redirects (blob storage often redirects to another host). The
 * Authorization header is dropped when a redirect leaves the original host, so a registry token
 * never reaches a storage backend.
 */
export async function send(agents: HttpAgents, req: HttpRequest): Promise<HttpResponse> {
  let url = req.url;
  let headers = { ...req.headers };
  // Only reads follow redirects: an upload's body cannot be sent twice.
  const follow = req.method === 'GET' || req.method === 'HEAD';
  for (let hop = 0; ; hop++) {
    const res = await sendOnce(agents, { ...req, url, headers });
    const location = res.headers.location;
    if (!follow || ![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
    res.body.resume();
    if (hop >= MAX_REDIRECTS) throw new TransportError(`${req.method} "${req.url.href}": stopped after ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new TransportError(`${req.method} "${req.url.href}": redirect to unsupported URL ${next.protocol}`);
    }
    if (next.host !== url.host || next.protocol !== url.protocol) {
      const { authorization: _dropped, Authorization: _dropped2, ...rest } = headers;
      headers = rest;
    }
    url = next;
  }
}

async function sendOnce(agents: HttpAgents, req: HttpRequest): Promise<HttpResponse> {
  const what = `${req.method[0]}${req.method.slice(1).toLowerCase()} "${req.url.href}"`;
  if (req.bulk && req.method === 'GET' && req.url.protocol === 'http:' && req.body === undefined) {
    if (req.signal?.aborted) throw cancelled(req.signal);
    const signal = req.signal;
    try {
      const res = await rawGet({
        url: req.url,
        headers: { 'user-agent': 'berth/0.1', ...req.headers },
        what,
        timeoutMs: req.timeoutMs,
        idleTimeoutMs: req.idleTimeoutMs,
        ...(signal && { onAbort: { signal, error: () => cancelled(signal) } }),
        transportError: (message, cause) => new TransportError(message, cause),
      });
      return { ...res, url: req.url };
    } catch (err) {
      // Chunked or read to EOF: the GET again, through node:http.
      if (!(err instanceof NotLengthFramed)) throw err;
    }
  }
  return sendNode(agents, req, what);
}

function sendNode(agents: HttpAgents, req: HttpRequest, what: string): Promise<HttpResponse> {
  const isHttps = req.url.protocol === 'https:';
  const agent = isHttps ? (req.insecureTls ? agents.httpsInsecure : agents.https) : agents.http;
  return new Promise<HttpResponse>((resolve, reject) => {
    if (req.signal?.aborted) return reject(cancelled(req.signal));
    const request = (isHttps ? https : http).request(req.url, {
      method: req.method,
      headers: {
        'user-agent': 'berth/0.1',
        ...req.headers,
        ...(Buffer.isBuffer(req.body) && { 'content-length': String(req.body.length) }),
      },
      agent,
    });
    // The caller's signal is wired by hand, not with http.request's `signal`, and unwired when the
    // exchange ends: Node's own wiring outlives the exchange and, once the keep-alive socket is
    // someone else's, destroys it with an error nobody listens to.
    let response: http.IncomingMessage | undefined;
    const onAbort = () => {
      const err = cancelled(req.signal!);
      if (response) response.destroy(err);
      else request.destroy(err);
    };
    const unwire = () => req.signal?.removeEventListener('abort', onAbort);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    // The registry answers once the body is in: an upload's clock starts when its last byte left,
    // and until then the upload may only stall for the idle timeout.
    const streamed = req.body instanceof Readable;
    let headerTimer: NodeJS.Timeout | undefined;
    const startHeaderTimer = () => {
      headerTimer = setTimeout(
        () => request.destroy(new TransportError(`${what}: no response within ${req.timeoutMs} ms`)),
        req.timeoutMs,
      );
    };
    const onStall = () => request.destroy(new TransportError(`${what}: upload stalled for ${req.idleTimeoutMs} ms`));
    if (streamed) {
      request.setTimeout(req.idleTimeoutMs, onStall);
      request.once('finish', startHeaderTimer);
    } else {
      startHeaderTimer();
    }
    request.once('response', (body) => {
      response = body;
      body.once('close', unwire);
      if (streamed) {
        request.off('timeout', onStall);
        request.setTimeout(0);
      }
      clearTimeout(headerTimer);
      // Keep-alive sockets serve many responses: add and remove our own listener each time.
      const socket = body.socket;
      const onIdle = () => body.destroy(new TransportError(`${what}: no data for ${req.idleTimeoutMs} ms`));
      socket.setTimeout(req.idleTimeoutMs);
      socket.on('timeout', onIdle);
      const clear = () => {
        socket.setTimeout(0);
        socket.off('timeout', onIdle);
      };
      body.once('end', clear);
      body.once('close', clear);
      resolve({ status: body.statusCode ?? 0, headers: body.headers, url: req.url, body });
    });
    // Why an upload body failed (a wrong digest, say) matters more than the socket error it causes.
    let bodyError: unknown;
    if (req.body instanceof Readable) req.body.once('error', (err) => (bodyError = err));
    // `on`, not `once`: a late second error must find a listener; the first one settled the promise.
    request.on('error', (err) => {
      clearTimeout(headerTimer);
      unwire();
      if (req.signal?.aborted) reject(cancelled(req.signal));
      else if (bodyError instanceof BerthError) reject(bodyError);
      else if (err instanceof BerthError) reject(err);
      else reject(new TransportError(`${what}: ${(err as Error).message}`, err));
    });
    if (req.body instanceof Readable) {
      // A failing source aborts the request; the 'error' handler above reports it.
      pipeline(req.body, request).catch((err: Error) => request.destroy(err));
    } else {
      request.end(req.body);
    }
  });
}

function cancelled(signal: AbortSignal): BerthError {
  return signal.reason instanceof BerthError ? signal.reason : new BerthError('cancelled', 'request cancelled', { cause: signal.reason });
}

/** Reads a whole body, refusing more than `limit` bytes (`failed_precondition`). */
export async function readBody(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > limit) {
    res.body.destroy();
    throw new BerthError('failed_precondition', `${what} is too large (${declared} bytes, limit ${limit})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.body.destroy();
        throw new BerthError('failed_precondition', `${what} is too large (more than ${limit} bytes)`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw new TransportError(`${what}: ${(err as Error).message}`, err);
  }
  return Buffer.concat(chunks);
}

/** Drains a body we do not need so the connection can be reused. */
export function discard(res: HttpResponse): void {
  res.body.resume();
}
