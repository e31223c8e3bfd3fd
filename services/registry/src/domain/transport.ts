import { Readable } from 'node:stream';
import type { Logger } from '@berth/kit';
import { Authorizer, type Credentials } from './auth.js';
import { discard, HttpAgents, send, TransportError, type HttpMethod, type HttpResponse } from './http.js';
import type { InsecureRegistries } from './insecure.js';
import { DEFAULT_RETRY, isRetryableStatus, pause, retryDelay, backoffDelay, type RetryPolicy } from './retry.js';

/** Where requests for a registry go: the registry itself, or one of its mirrors. */
export interface Endpoint {
  /** host[:port] */
  authority: string;
  /** Set when configured explicitly (a mirror URL); otherwise the insecure policy decides. */
  scheme?: 'http' | 'https';
  /** Path before `/v2` (mirrors may live under a prefix); "" usually. */
  prefix: string;
  mirror: boolean;
}

export interface RegistryRequest {
  method: HttpMethod;
  /** Path after `/v2`, with any query: `/library/busybox/manifests/latest`. */
  path: string;
  /**
   * A URL the registry handed out (an upload's `Location`), absolute or relative to the
   * registry; replaces base + path. Credentials go only to the registry's own origin.
   */
  location?: string;
  headers?: Record<string, string>;
  /** A Buffer is re-sent on retries; a stream is sent once (no retry, no second try after a 401). */
  body?: Buffer | Readable;
  /** Token scopes: `repository:library/busybox:pull`. */
  scopes: string[];
  /** A large body is expected (a blob): see HttpRequest.bulk. */
  bulk?: boolean;
  creds?: Credentials;
  signal?: AbortSignal;
}

export interface TransportOptions {
  insecure: InsecureRegistries;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  logger?: Logger;
}

/**
 * HTTP to registries: scheme choice (https; for insecure registries https without verification,
 * then http, as Docker), authorization on 401, bounded retries. Responses of any status are
 * returned; the client decides what a 404 means.
 */
export class RegistryTransport {
  readonly authorizer: Authorizer;
  private readonly agents = new HttpAgents();
  private readonly schemes = new Map<string, 'http' | 'https'>();
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: TransportOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.authorizer = new Authorizer(async (url, init) =>
      send(this.agents, {
        ...init,
        url,
        timeoutMs: this.timeoutMs,
        idleTimeoutMs: this.idleTimeoutMs,
        insecureTls: await this.options.insecure.isInsecure(url.host),
      }),
    );
  }

  async request(ep: Endpoint, req: RegistryRequest): Promise<HttpResponse> {
    // A failing mirror is skipped at once: the registry itself is the next endpoint anyway. A
    // streamed body cannot be sent twice, and a PATCH may have been half applied.
    const once = ep.mirror || req.body instanceof Readable || req.method === 'PATCH';
    const attempts = once ? 1 : this.retry.attempts;
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= attempts;
      try {
        const res = await this.overSchemes(ep, req);
        if (last || !isRetryableStatus(res.status)) return res;
        const delay = retryDelay(this.retry, attempt, header(res, 'retry-after'));
        if (delay === undefined) return res;
        this.options.logger?.debug({ status: res.status, delay, path: req.path }, 'registry busy, retrying');
        discard(res);
        await pause(delay, req.signal);
      } catch (err) {
        if (last || !(err instanceof TransportError)) throw err;
        this.options.logger?.debug({ err: err.message, path: req.path }, 'registry unreachable, retrying');
        await pause(backoffDelay(this.retry, attempt), req.signal);
      }
    }
  }

  /** The `/v2/` base URLs to try for an endpoint, best first. */
  async bases(ep: Endpoint): Promise<Array<{ base: string; insecureTls: boolean }>> {
    const url = (scheme: string) => `${scheme}://${ep.authority}${ep.prefix}/v2`;
    const insecure = await this.options.insecure.isInsecure(ep.authority);
    if (ep.scheme === 'http' || (insecure && this.schemes.get(ep.authority) === 'http')) return [{ base: url('http'), insecureTls: false }];
    if (ep.scheme === 'https' || !insecure || this.schemes.get(ep.authority) === 'https') {
      return [{ base: url('https'), insecureTls: insecure }];
    }
    return [{ base: url('https'), insecureTls: true }, { base: url('http'), insecureTls: false }];
  }

  close(): void {
    this.agents.destroy();
  }

  private async overSchemes(ep: Endpoint, req: RegistryRequest): Promise<HttpResponse> {
    const bases = await this.bases(ep);
    for (const [i, { base, insecureTls }] of bases.entries()) {
      try {
        const res = await this.authorized(base, insecureTls, req);
        if (!ep.scheme) this.schemes.set(ep.authority, base.startsWith('https:') ? 'https' : 'http');
        return res;
      } catch (err) {
        if (!(err instanceof TransportError) || i + 1 >= bases.length) throw err;
      }
    }
    throw new Error('unreachable: no base URL for endpoint');
  }

  /** One request, answered once more with credentials when the registry challenges it. */
  private async authorized(base: string, insecureTls: boolean, req: RegistryRequest): Promise<HttpResponse> {
    const key = base;
    const url = req.location ? new URL(req.location, base) : new URL(base + req.path);
    const ownOrigin = url.origin === new URL(base).origin;
    const go = (authorization: string | undefined) =>
      send(this.agents, {
        method: req.method,
        url,
        headers: { ...req.headers, ...(authorization && ownOrigin && { authorization }) },
        body: req.body,
        signal: req.signal,
        ...(req.bulk && { bulk: true }),
        timeoutMs: this.timeoutMs,
        idleTimeoutMs: this.idleTimeoutMs,
        insecureTls,
      });
    const first = await this.authorizer.authorization(key, req.scopes, req.creds);
    const res = await go(first);
    if (res.status !== 401 || req.body instanceof Readable) return res;
    const usable = this.authorizer.noteChallenge(key, res.headers['www-authenticate']);
    if (first) this.authorizer.invalidate(key, req.scopes, req.creds);
    const next = usable ? await this.authorizer.authorization(key, req.scopes, req.creds) : undefined;
    if (!next || next === first) return res;
    discard(res);
    return go(next);
  }
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
