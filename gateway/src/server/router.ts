import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@berth/kit';

/** What a route handler gets: the request, its parsed path parameters and query. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (from the /v1.NN prefix), or the server's own. */
  apiVersion: string;
  /** Aborted when the client goes away; pass it to backend calls that may take long. */
  signal: AbortSignal;
  logger: Logger;
}

/** A hijacked connection (`Connection: Upgrade`), as /containers/{id}/attach uses it. */
export interface UpgradeContext extends Omit<RouteContext, 'res'> {
  socket: Duplex;
  head: Buffer;
  /** The headers every response carries; the handler writes its own status line. */
  responseHeaders: Record<string, string>;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void>;
export type UpgradeHandler = (ctx: UpgradeContext) => Promise<void>;

interface Route<H> {
  method: string;
  /** The operation, `<noun>.<Verb>` ("container.Create"); the request's span is `gateway.<name>`. */
  name: string;
  pattern: RegExp;
  names: string[];
  handler: H;
}

/**
 * Patterns are paths with `:name` segments (one path segment) and `:name*` (one or more segments,
 * for image names such as `localhost:5000/library/busybox`). First match wins, so list literal
 * paths (`/images/json`) before the patterns that would also match them.
 */
function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const m = /^:(\w+)(\*)?$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), names };
}

export type Match<H> = { name: string; handler: H; params: Record<string, string> };

class RouteTable<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, path: string, name: string, handler: H): void {
    this.routes.push({ method, name, ...compile(path), handler });
  }

  match(method: string, path: string): Match<H> | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
      return { name: route.name, handler: route.handler, params };
    }
    return undefined;
  }
}

export class Router {
  private readonly table = new RouteTable<RouteHandler>();
  private readonly upgrades = new RouteTable<UpgradeHandler>();

  get(path: string, name: string, handler: RouteHandler): this {
    this.table.add('GET', path, name, handler);
    return this;
  }
  head(path: string, name: string, handler: RouteHandler): this {
    this.table.add('HEAD', path, name, handler);
    return this;
  }
  post(path: string, name: string, handler: RouteHandler): this {
    this.table.add('POST', path, name, handler);
    return this;
  }
  put(path: string, name: string, handler: RouteHandler): this {
    this.table.add('PUT', path, name, handler);
    return this;
  }
  delete(path: string, name: string, handler: RouteHandler): this {
    this.table.add('DELETE', path, name, handler);
    return this;
  }
  /** A POST that the client may upgrade to a raw bidirectional stream. */
  upgrade(path: string, name: string, handler: UpgradeHandler): this {
    this.upgrades.add('POST', path, name, handler);
    return this;
  }

  match(method: string, path: string): Match<RouteHandler> | undefined {
    return this.table.match(method, path);
  }
  matchUpgrade(method: string, path: string): Match<UpgradeHandler> | undefined {
    return this.upgrades.match(method, path);
  }
}
