import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BerthError, type Logger } from '@berth/kit';
import type { ProxySettings } from '../config.js';
import type { DistributionClientOptions } from '../domain/distribution-client.js';
import { parseMirror } from '../domain/endpoints.js';
import { hostOnly } from '../domain/insecure.js';
import { BlobFetcher } from './blob-fetch.js';
import { serveBlob } from './blob-handler.js';
import { BlobStore } from './blob-store.js';
import { ClientAuth } from './client-auth.js';
import { sendError, type Subject } from './http-errors.js';
import { ManifestCache } from './manifest-cache.js';
import { Metric, ProxyMetrics } from './metrics.js';
import { serveCatalog, serveManifest, serveTags, sendJson } from './read-handlers.js';
import { parseProxyPath, UpstreamRouter, type ProxyOp } from './routes.js';
import { TagIndex } from './tag-index.js';
import { Upstreams } from './upstream.js';

export interface ProxyServerOptions {
  settings: ProxySettings;
  /** The registry client's settings (insecure registries, mirrors) for talking to upstreams. */
  client: DistributionClientOptions;
  logger: Logger;
}

export interface ProxyServer {
  /** "127.0.0.1:PORT" as bound. */
  address: string;
  metrics: ProxyMetrics;
  close(): Promise<void>;
}

/**
 * The pull-through proxy: the read side of the distribution API over HTTP, for several upstream
 * registries at once, with blobs, manifests and tags cached on disk. See the package README.
 */
export async function startProxyServer(o: ProxyServerOptions): Promise<ProxyServer> {
  const { settings } = o;
  const logger = o.logger.child({ component: 'proxy' });
  const metrics = new ProxyMetrics();
  const store = new BlobStore(settings.cacheDir, settings.maxCacheBytes, metrics, logger);
  const tags = new TagIndex(path.join(settings.cacheDir, 'tags.json'), logger);
  await Promise.all([store.init(), tags.load()]);
  const router = new UpstreamRouter(settings);
  const auth = new ClientAuth({ htpasswd: settings.htpasswd, users: settings.users, logger });
  let upstreams: Upstreams | undefined;
  let fetcher: BlobFetcher | undefined;
  let manifests: ManifestCache | undefined;

  const server = http.createServer({ keepAliveTimeout: 30_000, highWaterMark: 1024 * 1024 } as http.ServerOptions, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'request handling failed');
      res.destroy();
    });
  });
  // A client that stops reading (or a download that stalls) for this long loses its connection.
  server.setTimeout(10 * 60_000);
  const listen = splitAddress(settings.address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new BerthError('unavailable', `proxy listen ${settings.address}: ${err.message}`, { cause: err })));
    server.listen(listen.port, listen.host, resolve);
  });
  const bound = server.address() as AddressInfo;
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  upstreams = new Upstreams({ client: withoutSelf(o.client, [settings.address, address]), credentials: settings.credentials, metrics, logger });
  fetcher = new BlobFetcher(store, metrics, logger);
  manifests = new ManifestCache({ dir: path.join(settings.cacheDir, 'manifests'), tags, upstreams, tagTtlMs: settings.tagTtlSeconds * 1000, metrics, logger });
  logger.info({ address, cacheDir: settings.cacheDir }, 'registry proxy listening');

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy.invalid');
    const op = parseProxyPath(url.pathname);
    res.once('close', () => metrics.inc(Metric.requests, { op: op.kind, code: String(res.statusCode) }));
    res.setHeader('docker-distribution-api-version', 'registry/2.0');
    let subject: Subject = 'name';
    try {
      if (op.kind === 'metrics') {
        const body = metrics.render();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
        return;
      }
      await auth.check(req);
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new BerthError('unimplemented', 'the berth registry proxy is read-only');
      subject = subjectOf(op);
      await dispatch(op, req, res, url);
    } catch (err) {
      if (res.headersSent) logger.info({ url: req.url, err: (err as Error).message }, 'response cut short');
      sendError(res, err, subject, logger, req.method);
    }
  }

  async function dispatch(op: ProxyOp, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    // A mirror URL naming its registry (`/127.0.0.1_5001/v2/…`) stands for `?ns=`.
    const ns = op.upstream === undefined ? url.searchParams.get('ns') : router.upstreamOf(op.upstream);
    const base = op.upstream === undefined ? '/v2' : `/${encodeURIComponent(op.upstream)}/v2`;
    const deps = { manifests: manifests!, tags, upstreams: upstreams!, logger };
    switch (op.kind) {
      case 'base':
        return sendJson(res, req, {});
      case 'catalog':
        return serveCatalog(deps, req, res, url, op.upstream === undefined ? undefined : { host: ns!, base });
      case 'manifest':
        return serveManifest(deps, req, res, router.route(op.name, ns), op.reference);
      case 'tags':
        return serveTags(deps, req, res, router.route(op.name, ns), op.name, url, base);
      case 'blob':
        return serveBlob({ store, fetcher: fetcher!, upstreams: upstreams!, metrics, logger }, req, res, router.route(op.name, ns), op.digest);
      default:
        throw new BerthError('not_found', `${url.pathname}: not part of the registry API`);
    }
  }

  return {
    address,
    metrics,
    async close() {
      const downloads = fetcher?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await downloads;
      upstreams?.close();
      await tags.flush();
    },
  };
}

function subjectOf(op: ProxyOp): Subject {
  return op.kind === 'manifest' ? 'manifest' : op.kind === 'blob' ? 'blob' : 'name';
}

function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: hostOnly(address), port: Number(address.slice(colon + 1)) };
}

/** The proxy must never be its own upstream: mirrors pointing at it are dropped (a request loop otherwise). */
function withoutSelf(client: DistributionClientOptions, selves: string[]): DistributionClientOptions {
  const mirrors: Record<string, string[]> = {};
  for (const [registry, urls] of Object.entries(client.mirrors ?? {})) {
    mirrors[registry] = urls.filter((u) => !selves.includes(parseMirror(u).authority));
  }
  return { ...client, mirrors };
}
