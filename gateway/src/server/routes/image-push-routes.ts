import { BerthError } from '@berth/kit';
import type { image, types } from '@berth/proto';
import type { Router } from '../router.js';
import { errorReply } from '../error-status.js';
import { decodeRegistryAuth } from '../docker-shapes/registry-auth.js';
import { pullError } from '../docker-shapes/pull-messages.js';
import { pushMessages, type PushMessage } from '../docker-shapes/push-messages.js';
import { parseImageRef, referenceString } from '../../reference/image-reference.js';
import type { RouteDeps } from './route-deps.js';

/**
 * `POST /images/{name}/push?tag=&platform=`: Docker's push, done by the image service (PushImage),
 * whose progress is relayed as Docker's JSON stream. An empty tag pushes every tag of the
 * repository. A multi-platform image pushes its whole index; `platform` (API 1.46: a JSON-encoded
 * OCI platform) pushes only that platform's manifest under the tag.
 * Errors before the first message (a malformed X-Registry-Auth, an unknown image) are HTTP
 * errors; later ones (unauthorized, registry down) go in-band, as dockerd does.
 */
export function imagePushRoutes(router: Router, { backends }: RouteDeps): void {
  router.post('/images/:name*/push', 'image.Push', async ({ req, res, params, query, signal }) => {
    const request: image.PushImageRequest = { reference: pushReference(params['name']!, query.get('tag') ?? '') };
    const platform = pushPlatform(query.get('platform'));
    if (platform) request.platform = platform;
    const auth = decodeRegistryAuth(req.headers['x-registry-auth']);
    if (auth) request.auth = auth;
    const stream = backends.images.pushImage(request, { signal })[Symbol.asyncIterator]();
    let next = await stream.next();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const write = (m: PushMessage): boolean => res.write(JSON.stringify(m) + '\n');
    try {
      for (; !next.done; next = await stream.next()) for (const m of pushMessages(next.value)) write(m);
    } catch (err) {
      if (!signal.aborted) write(pullError(errorReply(err).message));
    }
    res.end();
  });
}

/** name (which may carry a tag) + the `tag` query: what to push; digests cannot be pushed. */
export function pushReference(name: string, tag: string): string {
  const ref = parseImageRef(name);
  if (ref.digest !== undefined) throw new BerthError('invalid_argument', `cannot push a digest reference: ${name}`);
  const repository = referenceString({ domain: ref.domain, path: ref.path });
  if (tag !== '') return referenceString(parseImageRef(`${repository}:${tag}`));
  return ref.tag === undefined ? repository : `${repository}:${ref.tag}`;
}

/** API 1.46's `platform`: a JSON-encoded OCI platform (`{"os":"linux","architecture":"arm64"}`). */
export function pushPlatform(raw: string | null): types.Platform | undefined {
  if (raw === null || raw === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new BerthError('invalid_argument', `invalid platform ${JSON.stringify(raw)}: not JSON (an OCI platform is expected)`, { cause: err });
  }
  const p = value as { os?: unknown; architecture?: unknown; variant?: unknown } | null;
  if (!p || typeof p !== 'object' || typeof p.os !== 'string' || p.os === '' || typeof p.architecture !== 'string' || p.architecture === '') {
    throw new BerthError('invalid_argument', `invalid platform ${raw}: os and architecture are required`);
  }
  return { os: p.os, architecture: p.architecture, variant: typeof p.variant === 'string' ? p.variant : '' };
}
