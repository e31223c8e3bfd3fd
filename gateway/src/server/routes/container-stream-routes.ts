import { BerthError } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { Router } from '../router.js';
import { queryBool } from '../http-io.js';
import { encodeLogEntry, logContentType } from '../docker-shapes/log-stream.js';
import { attachOutput } from './attach-output.js';
import type { RouteDeps } from './route-deps.js';

/** Logs and attach: the container's output as a stream, framed unless the container has a TTY. */
export function containerStreamRoutes(router: Router, { backends }: RouteDeps): void {
  const { containers } = backends;

  router.get('/containers/:id/logs', 'container.Logs', async ({ res, params, query, signal }) => {
    const stdout = queryBool(query, 'stdout');
    const stderr = queryBool(query, 'stderr');
    if (!stdout && !stderr) throw new BerthError('invalid_argument', 'Bad parameters: you must choose at least one stream');
    const { container } = await containers.getContainer({ id: params['id']! }, { signal });
    if (!container) throw new BerthError('not_found', `No such container: ${params['id']}`);
    const tty = container.spec?.tty ?? false;
    const request: runtime.ContainerLogsRequest = {
      id: container.id,
      follow: queryBool(query, 'follow'),
      stdout,
      stderr,
      since: query.get('since') ?? '',
      until: query.get('until') ?? '',
      tail: query.get('tail') || 'all',
    };
    const timestamps = queryBool(query, 'timestamps');
    const entries = containers.containerLogs(request, { signal })[Symbol.asyncIterator]();
    // The first entry (or the end, or an error) decides the status: an unknown container or a
    // bad `since` is an HTTP error, not an empty stream.
    const first = request.follow ? undefined : await entries.next();
    res.writeHead(200, { 'Content-Type': logContentType(tty) });
    res.flushHeaders();
    try {
      if (first && !first.done) res.write(encodeLogEntry(first.value, { tty, timestamps }));
      if (!first?.done) {
        for (let next = await entries.next(); !next.done; next = await entries.next()) {
          if (!res.write(encodeLogEntry(next.value, { tty, timestamps }))) await new Promise((r) => res.once('drain', r));
        }
      }
    } catch (err) {
      // Headers are gone; the client sees the stream end early. The reason is in our log.
      if (!signal.aborted) throw err;
    }
    res.end();
  });

  router.upgrade('/containers/:id/attach', 'container.Attach', async ({ socket, params, query, signal, logger, responseHeaders }) => {
    await attachOutput({ containers, id: params['id']!, query, signal, logger }, {
      begin(contentType) {
        socket.write(
          'HTTP/1.1 101 UPGRADED\r\n' +
            `Content-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
            Object.entries(responseHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
            '\r\n',
        );
        // Input is not forwarded (no stdin yet): read and drop it so the client never blocks.
        socket.on('data', () => undefined);
      },
      write: (chunk) => socket.write(chunk),
      end: () => socket.end(),
    });
  });

  router.post('/containers/:id/attach', 'container.Attach', async ({ res, params, query, signal, logger }) => {
    await attachOutput({ containers, id: params['id']!, query, signal, logger }, {
      begin(contentType) {
        res.writeHead(200, { 'Content-Type': contentType });
        res.flushHeaders();
      },
      write: (chunk) => res.write(chunk),
      end: () => res.end(),
    });
  });
}
