import type { IncomingMessage, ServerResponse } from 'node:http';
import { BerthError, type Logger } from '@berth/kit';
import { repositoryName } from '../domain/reference.js';
import type { ManifestCache } from './manifest-cache.js';
import { proxyName, type Repository } from './routes.js';
import type { TagIndex } from './tag-index.js';
import { isOutage, type Upstreams } from './upstream.js';

export interface ReadHandlerDeps {
  manifests: ManifestCache;
  tags: TagIndex;
  upstreams: Upstreams;
  logger: Logger;
}

/** `GET|HEAD /v2/<name>/manifests/<tag|digest>` */
export async function serveManifest(deps: ReadHandlerDeps, req: IncomingMessage, res: ServerResponse, repo: Repository, reference: string): Promise<void> {
  const m = await deps.manifests.get(repo, reference);
  res.writeHead(200, {
    'content-type': m.mediaType,
    'content-length': m.content.length,
    'docker-content-digest': m.digest,
    etag: `"${m.digest}"`,
  });
  res.end(req.method === 'HEAD' ? undefined : m.content);
}

/**
 * `GET /v2/<name>/tags/list`: the upstream's list (always asked: tags move); while it cannot
 * answer, the tags the proxy has cached. Paginated with `n` and `last` as the spec says.
 */
export async function serveTags(deps: ReadHandlerDeps, req: IncomingMessage, res: ServerResponse, repo: Repository, name: string, url: URL, base = '/v2'): Promise<void> {
  let tags: string[];
  try {
    tags = await deps.upstreams.listTags(repo);
  } catch (err) {
    const known = deps.tags.tags(repositoryName(repo));
    if (!isOutage(err) || known.length === 0) throw err;
    deps.logger.info({ repository: repositoryName(repo), err: (err as Error).message }, 'upstream cannot answer: listing cached tags');
    tags = known;
  }
  const page = paginate([...tags].sort(), url, `${base}/${name}/tags/list`);
  sendJson(res, req, { name, tags: page.items }, page.link);
}

/**
 * `GET /v2/_catalog`: the repositories the proxy holds tags of, as names a client can pull through
 * it (`127.0.0.1_5001/busybox`, `docker.io/library/busybox`). Under a mirror prefix
 * (`/<upstream>/v2/_catalog`, `upstream` its registry host) only that registry's, without the host.
 */
export function serveCatalog(deps: ReadHandlerDeps, req: IncomingMessage, res: ServerResponse, url: URL, upstream?: { host: string; base: string }): void {
  const all = deps.tags.repositories();
  const names = upstream
    ? all.filter((r) => r.startsWith(`${upstream.host}/`)).map((r) => r.slice(upstream.host.length + 1))
    : all.map(proxyName);
  const page = paginate(names.sort(), url, `${upstream?.base ?? '/v2'}/_catalog`);
  sendJson(res, req, { repositories: page.items }, page.link);
}

export function sendJson(res: ServerResponse, req: IncomingMessage, value: unknown, link?: string): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, ...(link && { link }) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const MAX_PAGE = 10_000;

/** `?n=&last=` over a sorted list, with the `Link: <…>; rel="next"` of the next page. */
function paginate(sorted: string[], url: URL, path: string): { items: string[]; link?: string } {
  const last = url.searchParams.get('last');
  const nRaw = url.searchParams.get('n');
  const n = nRaw === null ? MAX_PAGE : Number(nRaw);
  if (!Number.isInteger(n) || n < 0) throw new BerthError('invalid_argument', `invalid page size n=${nRaw}`);
  const from = last === null ? sorted : sorted.filter((s) => s > last);
  const items = from.slice(0, Math.min(n, MAX_PAGE));
  if (items.length === 0 || items.length === from.length) return { items };
  const next = new URLSearchParams({ n: String(n), last: items[items.length - 1]! });
  return { items, link: `<${path}?${next}>; rel="next"` };
}
