import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { BerthError, SpanKind, extractTraceContext, withSpan, type Logger } from '@berth/kit';
import { API_VERSION, splitVersion } from './api-version.js';
import { errorReply } from './error-status.js';
import { sendJson } from './http-io.js';
import type { Router } from './router.js';
import { answerPing, answerPingsFirst } from './ping-fast-path.js';

export interface EngineServerOptions {
  socketPath: string;
  router: Router;
  logger: Logger;
  /** berth's own version, for the `Server` header. */
  version: string;
}

export interface EngineServer {
  socketPath: string;
  close(): Promise<void>;
}

/** Headers every Engine API response carries; clients read them from /_ping to negotiate. */
function commonHeaders(version: string): Record<string, string> {
  return {
    'Api-Version': API_VERSION,
    Server: `berth/${version}`,
    'Docker-Experimental': 'false',
    Ostype: 'linux',
  };
}

/** W3C trace context a client may send (`traceparent`), so a caller's trace continues here. */
function traceHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  return { traceparent: one(req.headers['traceparent']), tracestate: one(req.headers['tracestate']) };
}

/** Answers an error: the status from its kind; unexpected errors logged once with a reference id. */
export function replyError(res: ServerResponse, err: unknown, logger: Logger): void {
  const reply = errorReply(err);
  if (reply.reference !== undefined) logger.error({ err, reference: reply.reference }, 'request failed');
  else logger.debug({ err: (err as Error).message, status: reply.status }, 'request refused');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, reply.status, { message: reply.message });
}

export async function startEngineServer(options: EngineServerOptions): Promise<EngineServer> {
  const { router, logger } = options;
  const headers = commonHeaders(options.version);
  const open = new Set<Duplex>();

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (answerPing(req, res, headers)) return;
    const started = Date.now();
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const aborter = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) aborter.abort();
      logger.debug({ method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started }, 'request');
    });
    try {
      const url = new URL(req.url ?? '/', 'http://berth');
      const { version, path } = splitVersion(url.pathname);
      const match = router.match(req.method ?? 'GET', path);
      if (!match) {
        sendJson(res, 404, { message: 'page not found' });
        return;
      }
      const context = { req, res, params: match.params, query: url.searchParams, apiVersion: version, signal: aborter.signal, logger };
      await withSpan(`gateway.${match.name}`, { 'http.method': req.method ?? '', 'http.route': path }, () => match.handler(context), {
        kind: SpanKind.SERVER,
        parent: extractTraceContext(traceHeaders(req)),
      });
    } catch (err) {
      replyError(res, err, logger);
    }
  };

  const handleUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const aborter = new AbortController();
    socket.on('close', () => aborter.abort());
    socket.on('error', () => aborter.abort());
    try {
      const url = new URL(req.url ?? '/', 'http://berth');
      const { version, path } = splitVersion(url.pathname);
      const match = router.matchUpgrade(req.method ?? 'GET', path);
      if (!match) throw new BerthError('not_found', 'page not found');
      const context = { req, socket, head, responseHeaders: headers, params: match.params, query: url.searchParams, apiVersion: version, signal: aborter.signal, logger };
      await withSpan(`gateway.${match.name}`, { 'http.method': req.method ?? '', 'http.route': path }, () => match.handler(context), {
        kind: SpanKind.SERVER,
        parent: extractTraceContext(traceHeaders(req)),
      });
    } catch (err) {
      const reply = errorReply(err);
      if (reply.reference !== undefined) logger.error({ err, reference: reply.reference }, 'upgrade failed');
      if (socket.writable && !aborter.signal.aborted) {
        const body = JSON.stringify({ message: reply.message }) + '\n';
        socket.end(
          `HTTP/1.1 ${reply.status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
            Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
            `\r\n${body}`,
        );
      }
    }
  };

  const server = createServer();
  answerPingsFirst(server, headers);
  server.on('request', (req, res) => void handleRequest(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    void handleUpgrade(req, socket, head);
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });

  await listenUnix(server, options.socketPath);
  logger.info({ socket: options.socketPath }, 'engine API listening');

  return {
    socketPath: options.socketPath,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Streams such as `logs -f` never end by themselves; the server closes them on shutdown.
        server.closeIdleConnections();
        for (const socket of open) socket.destroy();
      });
      await rm(options.socketPath, { force: true });
    },
  };
}

/**
 * Listens on a unix socket with mode 0660. The socket is bound under a temporary name, given its
 * mode, then renamed over the final path, so it is never reachable with looser permissions and a
 * stale socket left by a crash is replaced. A socket that still answers is a running gateway: refused.
 */
async function listenUnix(server: Server, socketPath: string): Promise<void> {
  await mkdir(dirname(socketPath), { recursive: true });
  if (await socketAnswers(socketPath)) {
    throw new BerthError('already_exists', `another engine is listening on ${socketPath}`);
  }
  const temp = join(dirname(socketPath), `.${process.pid}.${Date.now()}.sock`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(temp, () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    await chmod(temp, 0o660);
    await rename(temp, socketPath);
  } catch (err) {
    server.close();
    await rm(temp, { force: true });
    throw err;
  }
}

function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    // ENOENT (no file) or ECONNREFUSED (stale file): nobody is there.
    probe.once('error', () => resolve(false));
  });
}
