import type { ServerResponse } from 'node:http';
import { BerthError } from '@berth/kit';
import type { image, types } from '@berth/proto';
import type { Router } from '../router.js';
import { queryBool, queryInt, sendJson } from '../http-io.js';
import { errorReply } from '../error-status.js';
import { parseFilters } from '../docker-shapes/filters.js';
import { decodeRegistryAuth } from '../docker-shapes/registry-auth.js';
import { pullReference, referenceString } from '../../reference/image-reference.js';
import { imageDeleteResponse, imageInspect, imageSummary } from '../docker-shapes/image-shapes.js';
import { pullError, pullProgress, type JsonMessage } from '../docker-shapes/pull-messages.js';
import type { RouteDeps } from './route-deps.js';
import { importImage } from './image-commit-routes.js';

export function imageRoutes(router: Router, { backends }: RouteDeps): void {
  const { images } = backends;

  router.get('/images/json', 'image.List', async ({ res, query, signal }) => {
    const list = await images.listImages({ all: queryBool(query, 'all'), filters: parseFilters(query.get('filters')) }, { signal });
    sendJson(res, 200, list.images.map(imageSummary));
  });

  router.post('/images/create', 'image.Pull', async (ctx) => {
    const { req, res, query, signal } = ctx;
    const fromImage = query.get('fromImage') ?? '';
    if (fromImage === '') {
      if (query.get('fromSrc') !== null) return importImage(ctx, backends);
      throw new BerthError('invalid_argument', 'fromImage is required');
    }
    const reference = referenceString(pullReference(fromImage, query.get('tag') ?? ''));
    const request: image.PullImageRequest = { reference, platform: parsePlatform(query.get('platform')) };
    // berth's extension: also fetch every other platform's layers of a multi-platform image.
    if (queryBool(query, 'allPlatforms')) request.allPlatforms = true;
    const auth = decodeRegistryAuth(req.headers['x-registry-auth']);
    if (auth) request.auth = auth;
    const stream = images.pullImage(request, { signal })[Symbol.asyncIterator]();
    // Errors before the first progress message are plain HTTP errors (404 for an unknown
    // repository, 401 ...), as Docker answers them; later ones go in-band.
    let next = await stream.next();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const write = (m: JsonMessage): boolean => res.write(JSON.stringify(m) + '\n');
    let pulled = false;
    try {
      for (; !next.done; next = await stream.next()) {
        if (next.value.image) pulled = true;
        write(pullProgress(next.value));
      }
      if (!pulled) write(pullError(`pull of ${reference} ended without an image`));
    } catch (err) {
      if (!signal.aborted) write(pullError(errorReply(err).message));
    }
    res.end();
  });

  router.get('/images/search', 'image.Search', async ({ req, res, query, signal }) => {
    const term = query.get('term') ?? '';
    if (term === '') throw new BerthError('invalid_argument', 'term is required');
    const request = { term, limit: queryInt(query, 'limit') ?? 25, filters: parseFilters(query.get('filters')) };
    const auth = decodeRegistryAuth(req.headers['x-registry-auth']);
    const found = await backends.registry.search(auth ? { ...request, auth } : request, { signal });
    sendJson(
      res,
      200,
      found.results.map((r) => ({
        name: r.name,
        description: r.description,
        star_count: r.starCount,
        is_official: r.isOfficial,
        is_automated: r.isAutomated,
      })),
    );
  });

  router.get('/images/:name*/json', 'image.Inspect', async ({ res, params, signal }) => {
    const found = await images.getImage({ reference: params['name']! }, { signal });
    sendJson(res, 200, imageInspect(found.image ?? notFound(params['name']!)));
  });

  router.post('/images/:name*/tag', 'image.Tag', async ({ res, params, query, signal }) => {
    const repo = query.get('repo') ?? '';
    if (repo === '') throw new BerthError('invalid_argument', 'repository name (repo) is required');
    const tag = query.get('tag') || 'latest';
    await images.tagImage({ source: params['name']!, target: `${repo}:${tag}` }, { signal });
    created(res);
  });

  router.delete('/images/:name*', 'image.Remove', async ({ res, params, query, signal }) => {
    const removed = await images.removeImage(
      { reference: params['name']!, force: queryBool(query, 'force'), noPrune: queryBool(query, 'noprune') },
      { signal },
    );
    sendJson(res, 200, imageDeleteResponse(removed));
  });
}

function created(res: ServerResponse): void {
  res.writeHead(201, { 'Content-Length': 0 });
  res.end();
}

function notFound(name: string): never {
  throw new BerthError('not_found', `No such image: ${name}`);
}

/** "linux/arm64/v8" → Platform; empty means the host's. */
export function parsePlatform(raw: string | null): types.Platform {
  if (raw === null || raw === '') return { os: '', architecture: '', variant: '' };
  const [os = '', architecture = '', variant = ''] = raw.split('/');
  if (os === '' || raw.split('/').length > 3) throw new BerthError('invalid_argument', `invalid platform: ${raw}`);
  return { os, architecture, variant };
}
