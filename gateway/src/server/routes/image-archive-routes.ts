import type { IncomingMessage, ServerResponse } from 'node:http';
import { BerthError } from '@berth/kit';
import type { Router } from '../router.js';
import type { RouteDeps } from './route-deps.js';

/** `docker save` and `docker load`: image archives streamed through the image service. */
export function imageArchiveRoutes(router: Router, { backends }: RouteDeps): void {
  const { images } = backends;

  const save = async (res: ServerResponse, references: string[], signal: AbortSignal) => {
    if (references.length === 0) throw new BerthError('invalid_argument', 'no image names given (names=…)');
    const chunks = images.saveImages({ references }, { signal })[Symbol.asyncIterator]();
    // Errors before the first byte (an unknown name) are HTTP errors; later ones can only cut the tar.
    let next = await chunks.next();
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    try {
      for (; !next.done; next = await chunks.next()) {
        if (!res.write(next.value.data)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    } catch {
      res.destroy(); // a truncated tar must not look complete to the client
    }
  };

  router.get('/images/get', 'image.Save', async ({ res, query, signal }) => save(res, query.getAll('names'), signal));

  router.get('/images/:name*/get', 'image.Save', async ({ res, params, signal }) => save(res, [params['name']!], signal));

  // The answer is Docker's JSON message stream: {"stream":"Loaded image: busybox:latest\n"} …
  // (`quiet` only silences progress, which berth does not send for a load).
  router.post('/images/load', 'image.Load', async ({ req, res, signal }) => {
    const loaded = await images.loadImages(body(req), { signal });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const m of loaded.messages) res.write(JSON.stringify({ stream: `${m}\n` }) + '\n');
    res.end();
  });
}

async function* body(req: IncomingMessage): AsyncGenerator<{ data: Buffer }> {
  for await (const chunk of req) yield { data: chunk as Buffer };
}
