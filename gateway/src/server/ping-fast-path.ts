import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { splitVersion } from './api-version.js';

/**
 * Docker's `/_ping` headers beyond the ones every response carries. `Builder-Version: 1` is the
 * classic builder, the one berth implements (dockerd with BuildKit says 2).
 */
const PING_HEADERS = {
  'Content-Type': 'text/plain; charset=utf-8',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  'Builder-Version': '1',
  Swarm: 'inactive',
};

/**
 * `GET|HEAD /_ping` on a connection node:http already serves, answered before routing, tracing
 * and metrics: it needs none of them. Versioned pings there take the normal route
 * (system-routes.ts), which answers the same. Returns false for any other request.
 */
export function answerPing(req: IncomingMessage, res: ServerResponse, common: Record<string, string>): boolean {
  if (req.url !== '/_ping' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  sendPing(req, res, common);
  return true;
}

/** Docker's ping answer. A HEAD answer carries the length a GET would have, as dockerd's does. */
export function sendPing(req: IncomingMessage, res: ServerResponse, common: Record<string, string> = {}): void {
  res.writeHead(200, { ...common, ...PING_HEADERS, 'Content-Length': 2 });
  res.end(req.method === 'HEAD' ? undefined : 'OK');
}

/** A request head (request line and headers, no body) longer than this is never a ping. */
const MAX_PING_HEAD = 8 * 1024;
const PING_LINE = /^(GET|HEAD) ((?:\/v\d+\.\d+)?\/_ping) HTTP\/1\.1$/;
const HEADER_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*[^\r\n]*$/;

/**
 * Serves the pings a new connection starts with, below node:http, then hands the connection to
 * node:http at its first other request. Why: a sequential ping is a round trip of two process
 * wake-ups plus each side's work. dockerd hides its wake-up (Go's scheduler polls for a while
 * before it sleeps); node cannot, and node:http adds ~50 µs of JavaScript per request on these
 * machines (parser callbacks, IncomingMessage and ServerResponse streams, header validation,
 * keep-alive timers) — as much as all the rest of the server's share. Measured on one host: server
 * CPU per sequential ping 117–138 µs with node:http, 69 µs answered here. Pings are what health
 * checkers poll on a kept-alive connection, and what the docker CLI sends first on every
 * connection it opens.
 *
 * Only a request that is unmistakably a ping is answered here: an HTTP/1.1 GET or HEAD of
 * `/_ping` or `/v<version>/_ping` (a version splitVersion accepts), with a Host header, no body
 * (`Content-Length: 0` at most, no `Transfer-Encoding`), no `Upgrade` and no `Expect`. Anything
 * else — and every byte after it — is node:http's, exactly as if it had read it from the socket.
 *
 * Installed in place of node:http's own `connection` listener, so node:http still owns the
 * listening socket, its timeouts and its connection tracking for everything it serves.
 */
export function answerPingsFirst(server: Server, common: Record<string, string>): void {
  const listeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  const [http] = listeners;
  if (listeners.length !== 1 || !http) throw new Error('answerPingsFirst must be installed on a new http.Server');
  server.removeListener('connection', http);
  const statusAndHeaders = 'HTTP/1.1 200 OK\r\n' + Object.entries({ ...common, ...PING_HEADERS, 'Content-Length': '2' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  server.on('connection', (socket: Socket) => {
    servePings(socket, server, statusAndHeaders, () => http.call(server, socket));
  });
}

/** What the head of a ping says about the answer; undefined when the request is not a ping. */
interface Ping {
  head: boolean;
  close: boolean;
}

function servePings(socket: Socket, server: Server, statusAndHeaders: string, handOver: () => void): void {
  let pending: Buffer | undefined;
  let keptAlive = false;
  const onTimeout = (): void => void socket.destroy();
  const onError = (): void => void socket.destroy();
  const onEnd = (): void => void socket.end();
  const release = (rest: Buffer | undefined): void => {
    socket.removeListener('data', onData);
    socket.removeListener('timeout', onTimeout);
    socket.removeListener('error', onError);
    socket.removeListener('end', onEnd);
    socket.setTimeout(0);
    // Paused so the bytes read so far reach node:http's parser before any it reads itself.
    socket.pause();
    if (rest && rest.length > 0) socket.unshift(rest);
    handOver();
    socket.resume();
  };
  const onData = (chunk: Buffer): void => {
    let data = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    for (;;) {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        if (data.length > MAX_PING_HEAD || !mayBePing(data)) return release(data);
        pending = data;
        return;
      }
      const ping = parsePing(data.toString('latin1', 0, end));
      if (!ping) return release(data);
      socket.write(answer(statusAndHeaders, ping), 'latin1');
      if (ping.close) {
        socket.removeListener('data', onData);
        socket.end();
        return;
      }
      data = data.subarray(end + 4);
      if (data.length === 0) break;
    }
    // From the first answer on, the connection is kept alive as node:http keeps it (the socket's
    // inactivity timer restarts with every read and write by itself).
    if (!keptAlive) socket.setTimeout(server.keepAliveTimeout);
    keptAlive = true;
  };
  socket.setTimeout(server.headersTimeout);
  socket.on('timeout', onTimeout);
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.on('data', onData);
}

/** The longest request line a ping can have ("HEAD /v<version>/_ping HTTP/1.1"), with room to spare. */
const MAX_PING_LINE = 64;

/** False as soon as the bytes so far cannot start a ping's request line. */
function mayBePing(data: Buffer): boolean {
  const line = data.toString('latin1', 0, Math.min(data.length, MAX_PING_LINE));
  const eol = line.indexOf('\r\n');
  if (eol >= 0) return PING_LINE.test(line.slice(0, eol));
  if (line.length >= MAX_PING_LINE) return false;
  return line.length < 6 ? 'GET /'.startsWith(line) || 'HEAD /'.startsWith(line) : /^(GET|HEAD) \//.test(line);
}

/** The ping a request head asks for, or undefined when node:http must see the request. */
function parsePing(head: string): Ping | undefined {
  const lines = head.split('\r\n');
  const request = PING_LINE.exec(lines[0]!);
  if (!request) return undefined;
  try {
    splitVersion(request[2]!);
  } catch {
    return undefined; // too old a version: node:http's route answers Docker's error
  }
  let host = false;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!HEADER_LINE.test(line)) return undefined;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim().toLowerCase();
    if (name === 'host') host = true;
    else if (name === 'content-length' && value !== '0') return undefined;
    else if (name === 'transfer-encoding' || name === 'upgrade' || name === 'expect') return undefined;
    else if (name === 'connection') {
      const tokens = value.split(',').map((t) => t.trim());
      if (tokens.includes('upgrade')) return undefined;
      if (tokens.includes('close')) close = true;
    }
  }
  return host ? { head: request[1] === 'HEAD', close } : undefined;
}

let dateSecond = -1;
let dateHeader = '';

/** The HTTP `Date` value, made once a second (node:http caches its own the same way). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateHeader = new Date(now).toUTCString();
  }
  return dateHeader;
}

/** The whole answer, status line to body, written with one write(2). */
function answer(statusAndHeaders: string, ping: Ping): string {
  const connection = ping.close ? 'close' : 'keep-alive';
  return `${statusAndHeaders}Date: ${httpDate()}\r\nConnection: ${connection}\r\n\r\n${ping.head ? '' : 'OK'}`;
}
