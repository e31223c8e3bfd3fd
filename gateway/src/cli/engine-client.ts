import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CliError, DaemonError } from './errors.js';

/** The API version the CLI speaks: berth's own (it only talks to berth's gateway or compatible engines). */
const CLIENT_API_VERSION = '1.45';

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

/**
 * A TLS server name, set (to none) so node's agent does not derive one from the Host header for
 * every request: that calls net.isIP('localhost'), whose IPv6 pattern costs ~5 ms of CPU the first
 * time and ~1.5 ms each later time, on a unix socket that has no TLS.
 */
const NO_SERVERNAME = { servername: '' } as const;

/** `unix:///run/berth/berth.sock` → the socket path; other schemes are not supported by this CLI. */
export function socketPathOf(host: string): string {
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  if (host.startsWith('/')) return host;
  throw new CliError(`unsupported host ${host}: only unix:// sockets are supported`, 125);
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** A raw body streamed as is (`load`'s tar) instead of a JSON `body`. */
  upload?: { stream: NodeJS.ReadableStream; contentType: string };
}

/**
 * The Engine API over a unix socket; every verb of the CLI goes through it. All requests of one
 * CLI invocation carry the same W3C `traceparent`, so a `run` (create, start, logs, wait) is one
 * trace across the gateway and the services.
 */
export class EngineClient {
  readonly traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;

  constructor(
    readonly host: string,
    private readonly socketPath = socketPathOf(host),
  ) {}

  /** The raw response, any status; the caller reads or pipes the body. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v === undefined) continue;
      params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    }
    const qs = params.toString();
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = { traceparent: this.traceparent, ...options.headers };
    if (body) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    if (options.upload) headers['Content-Type'] = options.upload.contentType;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { ...NO_SERVERNAME, socketPath: this.socketPath, method, path: `/v${CLIENT_API_VERSION}${path}${qs ? `?${qs}` : ''}`, headers, signal: options.signal },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'EACCES') {
          const hint = err.code === 'EACCES' ? 'permission denied' : 'Is the berth daemon running?';
          reject(new CliError(`Cannot connect to the berth daemon at ${this.host}. ${hint}`));
        } else reject(err);
      });
      if (options.upload) options.upload.stream.on('error', (err) => req.destroy(err)).pipe(req);
      else req.end(body);
    });
  }

  /**
   * A hijacked connection (attach, exec start): the request asks to upgrade to a raw TCP stream;
   * after the daemon's 101 the socket carries the container's output one way and stdin the other.
   * `head` is output that arrived with the 101.
   */
  hijack(method: string, path: string, options: Pick<RequestOptions, 'query' | 'body'> = {}): Promise<{ socket: Duplex; head: Buffer }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    }
    const qs = params.toString();
    const body = options.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(options.body));
    const headers = { traceparent: this.traceparent, Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json', 'Content-Length': body.length };
    return new Promise((resolve, reject) => {
      const req = httpRequest({ ...NO_SERVERNAME, socketPath: this.socketPath, method, path: `/v${CLIENT_API_VERSION}${path}${qs ? `?${qs}` : ''}`, headers });
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => {
        if ((res.statusCode ?? 500) >= 400) daemonError(res).then(reject, reject);
        else {
          res.resume();
          reject(new CliError(`the daemon did not upgrade the connection (HTTP ${res.statusCode})`));
        }
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'EACCES') reject(new CliError(`Cannot connect to the berth daemon at ${this.host}. Is the berth daemon running?`));
        else reject(err);
      });
      req.end(body);
    });
  }

  /** Sends a request and fails with the daemon's message on a 4xx/5xx; returns the response for streaming. */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.request(method, path, options);
    if ((res.statusCode ?? 500) >= 400) throw await daemonError(res);
    return res;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.stream(method, path, options);
    const text = (await readAll(res)).toString('utf8');
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A request whose answer has no body worth reading; returns the status (204, 304 ...). */
  async call(method: string, path: string, options: RequestOptions = {}): Promise<number> {
    const res = await this.stream(method, path, options);
    res.resume();
    return res.statusCode ?? 0;
  }
}

export async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function daemonError(res: IncomingMessage): Promise<DaemonError> {
  const text = (await readAll(res)).toString('utf8');
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { message?: string };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON (a proxy's error page, say): shown as the raw text.
  }
  return new DaemonError(res.statusCode ?? 500, message || `status ${res.statusCode}`);
}

/** A name as a URL path part: each segment escaped, slashes kept (image names have them). */
export function pathName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}
