import { BerthError, errorKind } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { Router } from '../router.js';
import { queryBool } from '../http-io.js';
import { logContentType } from '../docker-shapes/log-stream.js';
import { clientInput, DEFAULT_DETACH_KEYS, encodeOutput, parseDetachKeys, writeUpgrade } from './hijack.js';
import type { RouteDeps } from './route-deps.js';
import { attachOutput } from './attach-output.js';

/**
 * Attach through the runtime's AttachContainer (conmon's attach socket): the status line goes out
 * at once (`docker run` attaches, then starts), output follows as the runtime relays it — all of
 * it for a container started after the attach — and, on an upgraded connection, the client's
 * bytes are its stdin until it half-closes (end of input) or types the detach keys.
 * Registered before the log-based attach of container-stream-routes, which it replaces.
 */
export function attachRoutes(router: Router, { backends }: RouteDeps): void {
  const { containers } = backends;

  const options = (id: string, query: URLSearchParams, stdin: boolean): runtime.AttachOptions => ({
    id, stdin, stdout: queryBool(query, 'stdout'), stderr: queryBool(query, 'stderr'), logs: queryBool(query, 'logs'),
    stream: queryBool(query, 'stream'),
  });

  router.upgrade('/containers/:id/attach', 'container.Attach', async (ctx) => {
    const { socket, head, params, query, signal } = ctx;
    const { container } = await containers.getContainer({ id: params['id']! }, { signal });
    if (!container) throw new BerthError('not_found', `No such container: ${params['id']}`);
    const tty = container.spec?.tty ?? false;
    const stdin = queryBool(query, 'stdin');
    const keys = parseDetachKeys(query.get('detachKeys') || DEFAULT_DETACH_KEYS);
    writeUpgrade(ctx, logContentType(tty));
    const call = new AbortController();
    signal.addEventListener('abort', () => call.abort(), { once: true });
    const input = stdin ? clientInput(socket, head, keys, () => call.abort()) : undefined;
    if (!stdin) socket.resume(); // nothing is read: drop what the client sends, so it never blocks
    async function* requests(): AsyncGenerator<runtime.AttachContainerRequest> {
      yield { options: options(container!.id, query, stdin) };
      if (input) for await (const frame of input) yield { input: frame };
    }
    try {
      for await (const r of containers.attachContainer(requests(), { signal: call.signal })) {
        if (r.output && !socket.write(encodeOutput(r.output, tty))) await new Promise((res) => socket.once('drain', res));
      }
    } catch (err) {
      if (errorKind(err) === 'unimplemented') {
        // A runtime without AttachContainer (older, or a test stand-in): output from its log.
        socket.resume();
        const sink = { begin: () => undefined, write: (chunk: Buffer) => socket.write(chunk), end: () => undefined };
        await attachOutput({ containers, id: container.id, query, signal, logger: ctx.logger }, sink);
      } else if (!call.signal.aborted) {
        ctx.logger.warn({ err, container: container.id }, 'attach ended early');
      }
    }
    socket.end();
  });

  router.post('/containers/:id/attach', 'container.Attach', async ({ res, params, query, signal, logger }) => {
    const { container } = await containers.getContainer({ id: params['id']! }, { signal });
    if (!container) throw new BerthError('not_found', `No such container: ${params['id']}`);
    const tty = container.spec?.tty ?? false;
    res.writeHead(200, { 'Content-Type': logContentType(tty) });
    res.flushHeaders();
    async function* requests(): AsyncGenerator<runtime.AttachContainerRequest> {
      yield { options: options(container!.id, query, false) };
    }
    try {
      for await (const r of containers.attachContainer(requests(), { signal })) {
        if (r.output && !res.write(encodeOutput(r.output, tty))) await new Promise((done) => res.once('drain', done));
      }
    } catch (err) {
      if (errorKind(err) === 'unimplemented') {
        await attachOutput({ containers, id: container.id, query, signal, logger }, { begin: () => undefined, write: (c) => res.write(c), end: () => undefined });
      } else if (!signal.aborted) {
        logger.warn({ err, container: container.id }, 'attach ended early');
      }
    }
    res.end();
  });
}
