import type { IncomingMessage, ServerResponse } from 'node:http';

const PING_HEADERS = {
  'Content-Type': 'text/plain; charset=utf-8',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  Swarm: 'inactive',
};

/**
 * `GET|HEAD /_ping` (unversioned, as the docker CLI sends it before every command and health
 * checkers poll it) answered before routing, tracing and metrics: it needs none of them, and it
 * is the request berth must answer at least as fast as dockerd. Versioned pings (`/v1.45/_ping`)
 * take the normal route (system-routes.ts), which answers the same. Returns false for any other request.
 */
export function answerPing(req: IncomingMessage, res: ServerResponse, common: Record<string, string>): boolean {
  if (req.url !== '/_ping' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const body = req.method === 'HEAD' ? '' : 'OK';
  res.writeHead(200, { ...common, ...PING_HEADERS, 'Content-Length': body.length });
  res.end(body);
  return true;
}
