import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { BerthError } from './errors.js';
import { processMetrics, type Metrics } from './metrics.js';

export interface MetricsServer {
  /** `host:port` as bound (port 0 resolved) or `unix:///path`. */
  address: string;
  close(): Promise<void>;
}

/** `host:port` → its parts; `[::1]:9100` keeps the brackets off the host. */
export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new BerthError('invalid_argument', `not a host:port address: ${address}`);
  }
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

/** Answers a scrape: GET (or HEAD) of the metrics in the Prometheus text format. */
export async function serveMetrics(res: ServerResponse, metrics: Metrics = processMetrics(), head = false): Promise<void> {
  const body = await metrics.render();
  res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

/**
 * A small HTTP listener that serves only `GET /metrics`: on a TCP `host:port` or a unix socket
 * (`unix:///path`). One per process, at `config.metrics.<service>`; started by runService.
 */
export async function startMetricsServer(options: { address: string; logger: Logger; metrics?: Metrics }): Promise<MetricsServer> {
  const metrics = options.metrics ?? processMetrics();
  metrics.enableProcessMetrics();
  const logger = options.logger.child({ component: 'metrics' });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    serveMetrics(res, metrics, req.method === 'HEAD').catch((err: unknown) => {
      logger.warn({ err }, 'scrape failed');
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  const socketPath = options.address.startsWith('unix://') ? options.address.slice('unix://'.length) : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new BerthError('unavailable', `metrics listen ${options.address}: ${err.message}`, { cause: err })));
    if (socketPath) {
      mkdirSync(path.dirname(socketPath), { recursive: true });
      rmSync(socketPath, { force: true });
      server.listen(socketPath, resolve);
    } else {
      const { host, port } = splitHostPort(options.address);
      server.listen(port, host, resolve);
    }
  });
  const bound = server.address();
  const address = socketPath ? options.address : typeof bound === 'object' && bound ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` : options.address;
  logger.info({ address }, 'metrics listening');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        if (socketPath) rmSync(socketPath, { force: true });
      }),
  };
}
